// #/login?next=#/books/4/edit — the login form. On success the user goes back to `next` (only ever a
// hash of this app) or to the catalog; failures are explained in the error summary. Links lead to "Forgot your
// password?" and, when the library takes sign-ups online, to signing up.

import { getPublicSettings, login } from "../api.js";
import { clone, refs } from "../dom.js";
import { clearFieldErrors, showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { loginFormErrors, loginProblem } from "../accounts.js";
import { safeNextHash } from "../router.js";
import { currentUser, setUser, displayName } from "../session.js";

const FIELDS = ["email", "password"];

/** Draw the form; a user who is already logged in goes straight on to `next`. */
export function render(ctx) {
  const next = safeNextHash(ctx.query.next);
  if (currentUser()) {
    ctx.navigate(next, { replace: true });
    return;
  }
  const view = clone("tpl-login");
  const r = refs(view);
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(ctx, view, next);
  });
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
  getPublicSettings({ signal: ctx.signal })
    .then((settings) => { r["sign-up"].hidden = !settings?.self_registration; })
    .catch(() => {}); // no sign-up link then; logging in works without it
}

async function submit(ctx, view, next) {
  const r = refs(view);
  if (r.form.getAttribute("aria-busy") === "true") return;
  const email = r.form.elements.email.value.trim();
  const password = r.form.elements.password.value;

  const missing = loginFormErrors({ email, password });
  if (Object.keys(missing.fields).length) {
    showFieldErrors(r.form, r.summary, missing, { order: FIELDS, heading: () => "There is a problem" });
    return;
  }

  r.form.setAttribute("aria-busy", "true");
  r.submit.disabled = true;
  r.submit.textContent = "Logging in…";
  try {
    const answer = await login(email, password);
    setUser(answer.user, { card: answer.member ?? null });
    ctx.navigate(next, { message: `You are logged in as ${displayName(answer.user)}.`, replace: true });
  } catch (error) {
    if (ctx.signal.aborted) return;
    r.form.elements.password.value = "";
    const grouped = error.status === 422 ? groupErrors(error.errors, FIELDS) : { fields: {}, other: [loginProblem(error)] };
    clearFieldErrors(view);
    showFieldErrors(r.form, r.summary, grouped, {
      order: FIELDS,
      heading: () => "There is a problem",
      fallback: loginProblem(error),
    });
  } finally {
    r.form.removeAttribute("aria-busy");
    r.submit.disabled = false;
    r.submit.textContent = "Log in";
  }
}
