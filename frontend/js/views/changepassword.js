// #/change-password?next=… — a temporary password (set by the library) must be replaced before anything else:
// the app sends the user here after logging in, and on to `next` once it is done.

import { changePassword } from "../api.js";
import { el, refs } from "../dom.js";
import { t } from "../i18n.js";
import { safeNextHash } from "../router.js";
import { currentUser, setUser } from "../session.js";
import { busy, errorSummary, field, showFormProblem } from "./formparts.js";

const FIELDS = ["current_password", "new_password"];

export function render(ctx) {
  const user = currentUser();
  const next = safeNextHash(ctx.query.next, user?.role === "member" ? "#/me" : "#/books");
  const username = el("input", { name: "username", type: "email", autocomplete: "username", hidden: true });
  username.value = user.email;
  const view = el("section", { className: "view view-narrow", dataset: { view: "change-password" } },
    el("h1", { tabindex: "-1", text: t("Choose your own password") }),
    el("p", { className: "lede", text: user.must_change_password
      ? t("The library gave you a temporary password. Choose one only you know to continue.")
      : t("Change the password you log in with.") }),
    errorSummary(2),
    el("form", { className: "panel-form", novalidate: true, dataset: { ref: "form" } },
      username,
      field({ id: "change-current", name: "current_password", type: "password", label: t("Temporary password"),
        autocomplete: "current-password", required: true, maxlength: "128" }),
      field({ id: "change-new", name: "new_password", type: "password", label: t("New password"),
        autocomplete: "new-password", required: true, minlength: "8", maxlength: "128",
        hint: t("8 to 128 characters. A few unrelated words make a strong password that is easy to remember.") }),
      el("div", { className: "actions form-actions" },
        el("button", { type: "submit", className: "button", dataset: { ref: "submit" }, text: t("Save my password") }))));
  const r = refs(view);
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(r.form, async () => {
      try {
        const answer = await changePassword({ current_password: r.form.elements.current_password.value,
          new_password: r.form.elements.new_password.value });
        setUser(answer.user);
        ctx.navigate(next, { replace: true, message: t("Your password has been changed.") });
      } catch (error) {
        if (ctx.signal.aborted || error.status === 401) return;
        showFormProblem(r.form, view.querySelector(".error-summary"), error, FIELDS, t("password"));
      }
    });
  });
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}
