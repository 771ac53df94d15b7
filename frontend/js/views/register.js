// #/register — signing up for a library card, when the library allows it (the self_registration setting): a
// member account and a card that waits for staff to approve it. The answer is the same whether or not the email
// already had an account, so the page says what happens next either way.

import { getPublicSettings, signUp } from "../api.js";
import { el, refs, setText, showLoading, loadForView } from "../dom.js";
import { t } from "../i18n.js";
import { currentUser } from "../session.js";
import { busy, errorSummary, field, showFormProblem } from "./formparts.js";
import { tooManyRequests } from "../accounts.js";
import { showFieldErrors } from "../fielderrors.js";

const FIELDS = ["name", "email", "password", "phone"];

export async function render(ctx) {
  showLoading(ctx.root, t("Loading…"));
  const settings = await loadForView(ctx, (options) => getPublicSettings(options), {}, () => render(ctx));
  if (settings === undefined) return;
  const view = el("section", { className: "view view-narrow", dataset: { view: "register" } },
    el("h1", { tabindex: "-1", text: t("Sign up for a library card") }));
  if (!settings.self_registration || currentUser()) {
    view.append(el("p", { className: "lede", text: currentUser()
      ? t("You are logged in already. If your account has no card yet, you can ask for one on “My loans”.")
      : t("This library does not take sign-ups online. Ask at the library desk for a card: staff can also give you a login.") }),
    el("p", { className: "actions" }, el("a", { className: "button", href: currentUser() ? "#/me" : "#/books",
      text: currentUser() ? t("Go to My loans") : t("Browse the catalog") })));
  } else {
    view.append(
      el("p", { className: "lede", text: t("Fill this in to get an account and a card. Staff check each sign-up and give you a card number; until then you can log in and browse, but not borrow or place holds.") }),
      el("p", { className: "notice", role: "status", tabindex: "-1", dataset: { ref: "done" } }),
      errorSummary(2),
      el("form", { className: "panel-form", novalidate: true, dataset: { ref: "form" } },
        field({ id: "register-name", name: "name", label: t("Your name"), autocomplete: "name", required: true, maxlength: "100" }),
        field({ id: "register-email", name: "email", label: t("Email address"), type: "email", autocomplete: "username",
          autocapitalize: "none", spellcheck: "false", required: true, maxlength: "254", hint: t("You log in with it.") }),
        field({ id: "register-password", name: "password", type: "password", label: t("Password"), autocomplete: "new-password",
          required: true, minlength: "8", maxlength: "128",
          hint: t("8 to 128 characters. A few unrelated words make a strong password that is easy to remember.") }),
        field({ id: "register-phone", name: "phone", type: "tel", label: t("Phone (optional)"), autocomplete: "tel", maxlength: "50" }),
        el("div", { className: "actions form-actions" },
          el("button", { type: "submit", className: "button", dataset: { ref: "submit" }, text: t("Sign up") }),
          el("a", { href: "#/login", text: t("I have an account: log in") }))));
    const form = refs(view).form;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, () => send(ctx, view));
    });
  }
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

async function send(ctx, view) {
  const r = refs(view);
  const summary = view.querySelector(".error-summary");
  const value = (name) => r.form.elements[name].value.trim();
  const body = { name: value("name"), email: value("email"), password: r.form.elements.password.value,
    phone: value("phone") || null };
  try {
    const answer = await signUp(body);
    if (ctx.signal.aborted) return;
    r.form.hidden = true;
    summary.hidden = true;
    setText(r.done, answer?.detail || t("Thank you. The library will check your details."));
    r.done.append(" ", el("a", { href: "#/login", text: t("Log in") }));
    r.done.focus();
  } catch (error) {
    if (ctx.signal.aborted) return;
    if (error.status === 429) {
      showFieldErrors(r.form, summary, { fields: {}, other: [tooManyRequests(error)] },
        { heading: () => t("There is a problem") });
    } else {
      showFormProblem(r.form, summary, error, FIELDS, t("sign-up"));
    }
  }
}
