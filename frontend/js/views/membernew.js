// #/members/new — staff register a library card: card number, name, email and phone, and in the same step a login
// if wanted (a one-time link for the member to choose their password, or a temporary password). The server is the
// validator; its field errors (and 409 for a card number or login email in use) show next to the fields.

import { createMember, reserveBarcode } from "../api.js";
import { clone, refs } from "../dom.js";
import { showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { newMemberBody } from "../circulation.js";
import { memberLoginBody, renameErrors } from "../accounts.js";
import { handOverPasswordLink } from "../state.js";
import { t } from "../i18n.js";

const FIELDS = ["card_number", "name", "email", "phone", "login_mode", "login_email", "temporary_password"];
const ERROR_NAMES = { "login.email": "login_email", "login.temporary_password": "temporary_password", login: "login_mode" };

export function render(ctx) {
  const view = clone("tpl-member-new");
  const r = refs(view);
  const showLoginFields = () => {
    const mode = r.form.elements.login_mode.value;
    r["login-fields"].hidden = mode === "none";
    r["temporary-field"].hidden = mode !== "temporary";
  };
  for (const radio of r.form.elements.login_mode) radio.addEventListener("change", showLoginFields);
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(ctx, view);
  });
  r["next-card"].addEventListener("click", async () => {
    r["next-card"].disabled = true;
    try {
      r.form.elements.card_number.value = (await reserveBarcode("card")).barcode;
      r["card-status"].textContent = t("Card number {card} is yours: no one else gets it.", { card: r.form.elements.card_number.value });
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      r["card-status"].textContent = t("Could not get the next card number: {detail}", { detail: error.detail || error.title });
    } finally {
      r["next-card"].disabled = false;
      r.form.elements.card_number.focus();
    }
  });
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

async function save(ctx, view) {
  const r = refs(view);
  if (r.form.getAttribute("aria-busy") === "true") return;
  const value = (name) => r.form.elements[name].value;
  const body = newMemberBody(Object.fromEntries(["card_number", "name", "email", "phone"].map((name) => [name, value(name)])));
  const login = memberLoginBody({ mode: value("login_mode"), login_email: value("login_email"), email: value("email"),
    temporary_password: value("temporary_password") });
  if (login) body.login = login;
  r.form.setAttribute("aria-busy", "true");
  r.submit.disabled = true;
  try {
    const member = await createMember(body);
    handOverPasswordLink(member.id, member.password_link);
    const message = member.user_email
      ? t("Added {name} with card {card} and the login {email}.", { name: member.name, card: member.card_number, email: member.user_email })
      : t("Added {name} with card {card}.", { name: member.name, card: member.card_number });
    ctx.navigate(`#/members/${member.id}`, { message });
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    const grouped = groupErrors(renameErrors(error.errors, ERROR_NAMES), FIELDS);
    if (error.status === 409 && !Object.keys(grouped.fields).length) {
      grouped.fields.card_number = [error.detail || "This card number is already in use."];
    }
    const invalid = error.status === 422 || error.status === 409;
    showFieldErrors(r.form, r.summary, grouped, {
      order: FIELDS,
      fallback: error.detail || error.title,
      heading: (count) => (invalid
        ? count === 1 ? "There is a problem with this member" : `There are ${count} problems with this member`
        : `The member could not be added: ${error.title || "error"}`),
    });
  } finally {
    r.form.removeAttribute("aria-busy");
    r.submit.disabled = false;
  }
}
