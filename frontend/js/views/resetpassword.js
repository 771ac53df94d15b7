// #/reset-password?token=… — a one-time link's page: check the link, then choose a password (twice, so a typo
// cannot lock the user out). Success logs this browser in and leaves the page with the token in the address
// replaced, so the used link is not kept in the history.

import { checkPasswordLink, setPasswordWithLink } from "../api.js";
import { el, refs, showLoading, showPageProblem } from "../dom.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n.js";
import { setUser, displayName } from "../session.js";
import { busy, errorSummary, field, showFormProblem } from "./formparts.js";
import { showFieldErrors } from "../fielderrors.js";

const FIELDS = ["new_password", "again"];

export async function render(ctx) {
  const token = ctx.query.token ?? "";
  if (!token) {
    drawBroken(ctx, t("This link is incomplete"), t("The address has no link code in it. Open the whole link you were given, or ask for a new one."));
    return;
  }
  showLoading(ctx.root, t("Checking your link…"));
  let link;
  try {
    link = await checkPasswordLink(token, { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted || error?.name === "AbortError") return;
    if (error.status === 404 || error.status === 422) drawBroken(ctx, t("This link does not work"), error.detail);
    else showPageProblem(ctx, error, () => render(ctx));
    return;
  }
  if (ctx.signal.aborted) return;
  draw(ctx, token, link);
}

function drawBroken(ctx, title, detail) {
  ctx.root.replaceChildren(el("section", { className: "view view-narrow", dataset: { view: "reset-password" } },
    el("h1", { tabindex: "-1", text: title }),
    el("p", { className: "lede", text: detail || "" }),
    el("p", { className: "actions" },
      el("a", { className: "button", href: "#/forgot-password", text: t("Ask for a new link") }),
      el("a", { className: "button secondary", href: "#/login", text: t("Log in") }))));
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

function draw(ctx, token, link) {
  const welcome = link.purpose === "welcome";
  const username = el("input", { name: "username", type: "email", autocomplete: "username", hidden: true });
  username.value = link.email;
  const view = el("section", { className: "view view-narrow", dataset: { view: "reset-password" } },
    el("h1", { tabindex: "-1", text: welcome ? t("Choose your password") : t("Choose a new password") }),
    el("p", { className: "lede", text: t("For {name} ({email}). This link works once, until {when}.", {
      name: link.display_name, email: link.email, when: formatDateTime(link.expires_at) }) }),
    errorSummary(2),
    el("form", { className: "panel-form", novalidate: true, dataset: { ref: "form" } },
      username,
      field({ id: "link-new-password", name: "new_password", type: "password", label: t("New password"),
        autocomplete: "new-password", required: true, minlength: "8", maxlength: "128",
        hint: t("8 to 128 characters. A few unrelated words make a strong password that is easy to remember.") }),
      field({ id: "link-again", name: "again", type: "password", label: t("The same password again"),
        autocomplete: "new-password", required: true, maxlength: "128" }),
      el("div", { className: "actions form-actions" },
        el("button", { type: "submit", className: "button", dataset: { ref: "submit" },
          text: welcome ? t("Set my password") : t("Set the new password") }))));
  const r = refs(view);
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(r.form, () => save(ctx, view, token));
  });
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

async function save(ctx, view, token) {
  const r = refs(view);
  const summary = view.querySelector(".error-summary");
  const password = r.form.elements.new_password.value;
  if (password !== r.form.elements.again.value) {
    showFieldErrors(r.form, summary, { fields: { again: [t("This is not the same as the new password.")] }, other: [] },
      { order: FIELDS, heading: () => t("There is a problem") });
    return;
  }
  try {
    const answer = await setPasswordWithLink(token, password);
    setUser(answer.user, { card: answer.member ?? null }); // the card too: #/me and holds need it
    const next = answer.user.role === "member" ? "#/me" : "#/account";
    ctx.navigate(next, { replace: true,
      message: t("Your password is set. You are logged in as {name}.", { name: displayName(answer.user) }) });
  } catch (error) {
    if (ctx.signal.aborted) return;
    r.form.elements.new_password.value = "";
    r.form.elements.again.value = "";
    showFormProblem(r.form, summary, error, FIELDS, t("password"));
  }
}
