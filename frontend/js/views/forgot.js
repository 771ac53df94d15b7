// #/forgot-password — "Forgot your password?": the user gives their email; the answer is the same whether or not an
// account has it. Until the library sends e-mails, staff see the request and hand over a reset link.

import { requestPasswordReset } from "../api.js";
import { el, refs, setText } from "../dom.js";
import { tooManyRequests } from "../accounts.js";
import { t } from "../i18n.js";
import { busy, clearFieldErrors, errorSummary, field } from "./formparts.js";
import { showFieldErrors } from "../fielderrors.js";

export function render(ctx) {
  const view = el("section", { className: "view view-narrow", dataset: { view: "forgot-password" } },
    el("h1", { tabindex: "-1", text: t("Forgot your password?") }),
    el("p", { className: "lede", text: t("Tell us the email you log in with. You get a one-time link to choose a new password: by e-mail when the library sends e-mail, else ask for it at the desk.") }),
    el("p", { className: "notice", role: "status", tabindex: "-1", dataset: { ref: "done" } }),
    errorSummary(2),
    el("form", { className: "panel-form", novalidate: true, dataset: { ref: "form" } },
      field({ id: "forgot-email", name: "email", label: t("Email address"), type: "email", autocomplete: "username",
        autocapitalize: "none", spellcheck: "false", required: true, maxlength: "254" }),
      el("div", { className: "actions form-actions" },
        el("button", { type: "submit", className: "button", dataset: { ref: "submit" }, text: t("Ask for a new password") }),
        el("a", { href: "#/login", text: t("Back to log in") }))));
  const r = refs(view);
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(r.form, () => send(ctx, view));
  });
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

async function send(ctx, view) {
  const r = refs(view);
  const summary = view.querySelector(".error-summary");
  const email = r.form.elements.email.value.trim();
  if (!email) {
    showFieldErrors(r.form, summary, { fields: { email: [t("Enter your email address.")] }, other: [] },
      { order: ["email"], heading: () => t("There is a problem") });
    return;
  }
  try {
    const answer = await requestPasswordReset(email);
    if (ctx.signal.aborted) return;
    clearFieldErrors(r.form, summary);
    r.form.hidden = true;
    setText(r.done, answer?.detail || t("Your request has been passed on. Ask at the desk for your reset link."));
    r.done.focus();
  } catch (error) {
    if (ctx.signal.aborted) return;
    const message = error.status === 429 ? tooManyRequests(error) : error.detail || error.title;
    showFieldErrors(r.form, summary, { fields: {}, other: [message] }, { heading: () => t("There is a problem") });
  }
}
