// #/account — the signed-in user's details, the change-password form and their API tokens: the list,
// a form to create one (its secret is shown once, with a Copy button) and revoking after a confirmation.

import { changePassword, listTokens, createToken, deleteToken } from "../api.js";
import { clone, refs, el, showLoading, showProblem, showEmpty, isAbort, doneLoading } from "../dom.js";
import { clearFieldErrors, showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { tokenBody, scopesText, TOKEN_DEFAULT_DAYS } from "../accounts.js";
import { formatDate, formatDateTime } from "../format.js";
import { currentUser, setUser, roleLabel, tokenScopesFor, SCOPE_LABELS } from "../session.js";
import { t, tn } from "../i18n.js";

const revokers = new WeakMap(); // view -> ask(token, opener): open the revoke confirmation
const PASSWORD_FIELDS = ["current_password", "new_password"];
const TOKEN_FIELDS = ["name", "scopes", "expires_in_days"];

/** Draw the page for the signed-in user, then load their tokens. */
export async function render(ctx) {
  const user = currentUser();
  const view = clone("tpl-account");
  const r = refs(view);
  drawDetails(r.details, user);
  setUpPasswordForm(ctx, view, user);
  setUpTokenForm(ctx, view, user);
  setUpRevoke(ctx, view);
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
  await loadTokens(ctx, view);
}

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

function drawDetails(dl, user) {
  dl.replaceChildren(
    fact(t("Name"), user.display_name || "—"),
    fact(t("Email"), user.email),
    fact(t("Role"), roleLabel(user.role)),
    fact(t("Account created"), formatDate(user.created_at)),
    ...(user.last_login_at ? [fact(t("Last login"), formatDateTime(user.last_login_at))] : []),
  );
}

// ---- Password ----

function setUpPasswordForm(ctx, view, user) {
  const r = refs(view.querySelector('[data-ref="password-section"]'));
  r.username.value = user.email; // for password managers: which account this password belongs to
  r.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (r.form.getAttribute("aria-busy") === "true") return;
    const body = {
      current_password: r.form.elements.current_password.value,
      new_password: r.form.elements.new_password.value,
    };
    r.form.setAttribute("aria-busy", "true");
    r.submit.disabled = true;
    try {
      const answer = await changePassword(body);
      if (answer?.user) setUser(answer.user);
      r.form.reset();
      r.username.value = user.email;
      clearFieldErrors(r.form, r.summary);
      r.done.textContent = t("Your password has been changed.");
      r.done.hidden = false;
      r.done.focus();
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      r.done.hidden = true;
      showFieldErrors(r.form, r.summary, groupErrors(error.errors, PASSWORD_FIELDS), {
        order: PASSWORD_FIELDS,
        heading: (count) => (error.status === 422 ? tn(count, "There is a problem", "There are {count} problems") : t("The password was not changed: {title}", { title: error.title })),
        fallback: error.detail || error.title,
      });
    } finally {
      r.form.removeAttribute("aria-busy");
      r.submit.disabled = false;
    }
  });
}

// ---- Tokens ----

function setUpTokenForm(ctx, view, user) {
  const section = view.querySelector('[data-ref="tokens-section"]');
  const r = refs(section);
  const scopes = tokenScopesFor(user.role);
  r.scopes.replaceChildren(...scopes.map((scope) => {
    const id = `token-scope-${scope}`;
    const input = el("input", { type: "checkbox", id, name: "scopes", value: scope, checked: scope === "read" });
    return el("div", { className: "check" }, input, el("label", { for: id, text: SCOPE_LABELS[scope] ? t(SCOPE_LABELS[scope]) : scope })); // i18n: SCOPE_LABELS
  }));
  r.form.elements.expires_in_days.value = String(TOKEN_DEFAULT_DAYS);

  r.copy.addEventListener("click", () => copyToken(r));

  r.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (r.form.getAttribute("aria-busy") === "true") return;
    const data = new FormData(r.form);
    const body = tokenBody({
      name: data.get("name"),
      scopes: data.getAll("scopes").map(String),
      expires_in_days: data.get("expires_in_days"),
    }, user.role);
    r.form.setAttribute("aria-busy", "true");
    r.submit.disabled = true;
    try {
      const token = await createToken(body);
      clearFieldErrors(r.form, r.summary);
      r.form.reset();
      r.form.elements.expires_in_days.value = String(TOKEN_DEFAULT_DAYS);
      showNewToken(r, token);
      await loadTokens(ctx, view, { keepFocus: true });
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      const grouped = groupErrors(error.errors, TOKEN_FIELDS);
      showFieldErrors(r.form, r.summary, grouped, {
        order: TOKEN_FIELDS,
        heading: (count) => (error.status === 422 ? tn(count, "There is a problem with this token", "There are {count} problems with this token") : t("The token was not created: {title}", { title: error.title })),
        fallback: error.detail || error.title,
      });
    } finally {
      r.form.removeAttribute("aria-busy");
      r.submit.disabled = false;
    }
  });
}

/** Show the secret of a token just created: once, read-only, with a Copy button. */
function showNewToken(r, token) {
  r["new-token-title"].textContent = t("Your new token “{name}”", { name: token.name });
  r["token-value"].value = token.token ?? "";
  r["new-token"].dataset.tokenId = String(token.id);
  r["copy-status"].textContent = "";
  r["new-token"].hidden = false;
  r["new-token"].focus();
}

async function copyToken(r) {
  const input = r["token-value"];
  try {
    if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
    await navigator.clipboard.writeText(input.value);
    r["copy-status"].textContent = t("Copied to the clipboard.");
  } catch {
    // No clipboard access (an insecure origin, or permission refused): select it for Ctrl+C.
    input.focus();
    input.select();
    r["copy-status"].textContent = t("The token is selected: press Ctrl+C (or ⌘C) to copy it.");
  }
}

async function loadTokens(ctx, view, { retry = false, keepFocus = false } = {}) {
  const r = refs(view.querySelector('[data-ref="tokens-section"]'));
  showLoading(r.tokens, t("Loading tokens…"));
  try {
    const page = await listTokens({ per_page: 100 }, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    if (page.items.length === 0) {
      showEmpty(r.tokens, t("You have no API tokens."), t("Create one below to use the API from a script or another program."));
    } else {
      const list = el("ul", { className: "cards token-list" }, ...page.items.map((token) => tokenItem(view, token)));
      const parts = [list];
      if (page.total > page.items.length) parts.unshift(el("p", { text: tn(page.total, "Showing {shown} of {count} token.", "Showing {shown} of {count} tokens.", { shown: page.items.length }) }));
      r.tokens.replaceChildren(...parts);
      doneLoading(r.tokens);
    }
    if (retry && !keepFocus) r.heading.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    showProblem(r.tokens, error, () => loadTokens(ctx, view, { retry: true }));
  }
}

function tokenItem(view, token) {
  const node = clone("tpl-token-item");
  const r = refs(node);
  r.name.textContent = token.name;
  r.facts.replaceChildren(
    fact(t("Scopes"), scopesText(token.scopes)),
    fact(t("Created"), formatDate(token.created_at)),
    fact(t("Expires"), token.expires_at ? formatDate(token.expires_at) : t("Never")),
    fact(t("Last used"), token.last_used_at ? formatDateTime(token.last_used_at) : t("Never used")),
  );
  r.revoke.setAttribute("aria-label", `Revoke “${token.name}”`);
  r.revoke.addEventListener("click", () => revokers.get(view)?.(token, r.revoke));
  return node;
}

function setUpRevoke(ctx, view) {
  const confirm = refs(view).confirm;
  const section = refs(view.querySelector('[data-ref="tokens-section"]'));
  let pending = null; // { token, opener } while the dialog is open

  revokers.set(view, (token, opener) => {
    refs(confirm)["confirm-text"].textContent = t("Programs using “{name}” will stop working at once. This cannot be undone.", { name: token.name });
    confirm.returnValue = "";
    pending = { token, opener };
    confirm.showModal();
  });

  confirm.addEventListener("close", async () => {
    const { token, opener } = pending ?? {};
    pending = null;
    if (!token) return;
    if (confirm.returnValue !== "revoke") {
      opener.focus();
      return;
    }
    opener.disabled = true;
    try {
      await deleteToken(token.id);
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      if (error.status !== 404) {
        opener.disabled = false;
        opener.closest("li").append(el("p", { className: "inline-problem", role: "alert" },
          el("strong", { text: t("Could not revoke the token: {title}.", { title: error.title }) }), error.detail ? ` ${error.detail}` : ""));
        opener.focus();
        return;
      }
      // Already gone: the outcome the user asked for.
    }
    if (section["new-token"].dataset.tokenId === String(token.id)) section["new-token"].hidden = true;
    section.status.textContent = `Revoked “${token.name}”.`;
    await loadTokens(ctx, view, { keepFocus: true });
    section.heading.focus();
  });
}
