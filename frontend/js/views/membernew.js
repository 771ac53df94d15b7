// #/members/new — staff register a library card: card number, name, email and phone. The server is the
// validator; its field errors (and 409 for a card number in use) show next to the fields.

import { createMember, reserveBarcode } from "../api.js";
import { clone, refs } from "../dom.js";
import { showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { newMemberBody } from "../circulation.js";
import { t } from "../i18n.js";

const FIELDS = ["card_number", "name", "email", "phone"];

export function render(ctx) {
  const view = clone("tpl-member-new");
  const r = refs(view);
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
  const body = newMemberBody(Object.fromEntries(FIELDS.map((name) => [name, r.form.elements[name].value])));
  r.form.setAttribute("aria-busy", "true");
  r.submit.disabled = true;
  try {
    const member = await createMember(body);
    ctx.navigate(`#/members/${member.id}`, { message: `Added ${member.name} with card ${member.card_number}.` });
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    const grouped = groupErrors(error.errors, FIELDS);
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
