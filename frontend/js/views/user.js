// #/admin/users/{id} — admins: one user. Change their name, role or whether the account is active (demoting or
// disabling asks first: it logs them out everywhere), and make a one-time reset link to hand over (a request
// from "Forgot your password?" shows here until a link is made).

import { getUser, updateUser, makeResetLink } from "../api.js";
import { el, refs, setText, showLoading, loadForView, confirmDialog, inlineProblem } from "../dom.js";
import { userPatchBody } from "../accounts.js";
import { formatDate, formatDateTime } from "../format.js";
import { t } from "../i18n.js";
import { ROLES, roleLabel, currentUser, setUser, displayName } from "../session.js";
import { adminNav } from "./adminnav.js";
import { busy, checkField, clearFieldErrors, errorSummary, field, linkBox, showFormProblem } from "./formparts.js";

const EDIT_FIELDS = ["display_name", "role", "is_active"];

/** Load the user and draw the page; a 404 shows the not-found view. */
export async function render(ctx) {
  showLoading(ctx.root, t("Loading user…"));
  const user = await loadForView(ctx, (options) => getUser(ctx.params.id, options),
    { title: t("User not found"), detail: t("There is no user with this number.") }, () => render(ctx));
  if (user === undefined) return;
  const page = { ctx, user, view: draw() };
  fill(page);
  setUpEdit(page);
  setUpLink(page);
  ctx.root.replaceChildren(page.view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

function draw() {
  const link = linkBox({ id: "user-reset-link", heading: t("Reset link") });
  const view = el("section", { className: "view view-member view-user", dataset: { view: "user" } },
    adminNav("users", { exact: false }),
    el("p", { className: "back" }, el("a", { href: "#/admin/users" }, el("span", { "aria-hidden": "true", text: "← " }),
      t("Back to users"))),
    el("p", { className: "eyebrow", text: t("User") }),
    el("h1", { tabindex: "-1", dataset: { ref: "name" } }),
    el("p", { className: "card-sub", dataset: { ref: "email" } }),
    el("p", { className: "badges" }, el("span", { className: "badge", dataset: { ref: "role" } }),
      el("span", { className: "badge", dataset: { ref: "status" } })),
    el("p", { className: "notice", role: "status", tabindex: "-1", dataset: { ref: "notice" } }),
    el("dl", { className: "facts", dataset: { ref: "facts" } }),
    el("section", { className: "panel", "aria-labelledby": "user-edit-heading", dataset: { ref: "edit-section" } },
      el("h2", { id: "user-edit-heading", text: t("Role and access") }),
      errorSummary(3),
      el("form", { className: "stack-form", novalidate: true, dataset: { ref: "form" } },
        field({ id: "user-display-name", name: "display_name", label: t("Display name"), autocomplete: "off", maxlength: "100" }),
        el("div", { className: "field" }, el("label", { for: "user-role", text: t("Role") }),
          el("p", { className: "hint", id: "user-role-hint",
            text: t("Members see their own loans, librarians also run the desk and the catalog, admins also manage users and settings.") }),
          el("select", { id: "user-role", name: "role", "aria-describedby": "user-role-hint" },
            ...ROLES.map((role) => el("option", { value: role, text: roleLabel(role) })))),
        checkField({ id: "user-active", name: "is_active", label: t("Account active"),
          hint: t("Disabling an account logs its user out everywhere and stops their API tokens.") }),
        el("div", { className: "actions" }, el("button", { type: "submit", className: "button", dataset: { ref: "submit" },
          text: t("Save changes") })))),
    el("section", { className: "panel", "aria-labelledby": "user-link-heading" },
      el("h2", { id: "user-link-heading", text: t("Password") }),
      el("p", { className: "hint-text", dataset: { ref: "link-hint" } }),
      el("p", { className: "inline-note", dataset: { ref: "requested" }, hidden: true }),
      link.box,
      el("div", { dataset: { ref: "link-problem" } }),
      el("div", { className: "actions" }, el("button", { type: "button", className: "button secondary",
        dataset: { ref: "make-link" }, text: t("Make a reset link") }))));
  view.linkBox = link;
  return view;
}

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

function fill({ view, user }) {
  const r = refs(view);
  r.name.textContent = displayName(user);
  r.email.textContent = user.email;
  r.role.textContent = roleLabel(user.role);
  r.status.textContent = user.is_active ? t("Active") : t("Disabled");
  r.status.classList.toggle("is-disabled", !user.is_active);
  r.facts.replaceChildren(
    fact(t("Added"), formatDate(user.created_at)),
    fact(t("Last login"), user.last_login_at ? formatDateTime(user.last_login_at) : t("Never")),
    ...(user.must_change_password ? [fact(t("Password"), t("Temporary: they choose their own at their next login"))] : []),
  );
  const form = r.form.elements;
  form.display_name.value = user.display_name ?? "";
  form.role.value = user.role;
  form.is_active.checked = Boolean(user.is_active);
  setText(r.requested, user.password_reset_requested_at
    ? t("{name} asked for a new password on {when}. Make a link and give it to them.", {
      name: displayName(user), when: formatDateTime(user.password_reset_requested_at) })
    : "");
  r["link-hint"].textContent = t("A reset link lets them choose a new password once, within a day; it replaces any earlier link. Their sessions and tokens end when they use it.");
  r["make-link"].disabled = !user.is_active;
  if (!user.is_active) r["link-hint"].textContent = t("The account is disabled: enable it to make a reset link.");
}

/** What saving the edit will do that needs a yes first, or null. */
function warning(user, body) {
  const name = displayName(user);
  if (body.is_active === false) {
    return { title: t("Disable {name}’s account?", { name }), confirm: t("Disable account"),
      text: t("They are logged out everywhere and their API tokens stop working. To undo, tick “Account active” again.") };
  }
  if (body.role && ROLES.indexOf(body.role) < ROLES.indexOf(user.role)) {
    return { title: t("Change {name}’s role to {role}?", { name, role: roleLabel(body.role) }), confirm: t("Change role"),
      text: t("They lose what their role allowed and are logged out everywhere. You can give the role back here.") };
  }
  return null;
}

function setUpEdit(page) {
  const { ctx, view } = page;
  const r = refs(view);
  const summary = view.querySelector('[data-ref="edit-section"] .error-summary');
  r.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = userPatchBody(page.user, {
      display_name: r.form.elements.display_name.value,
      role: r.form.elements.role.value,
      is_active: r.form.elements.is_active.checked,
    });
    if (Object.keys(body).length === 0) {
      setText(r.notice, t("Nothing was changed."));
      return;
    }
    const ask = warning(page.user, body);
    if (ask && !(await confirmDialog(view, { title: ask.title, text: ask.text, confirmLabel: ask.confirm, opener: r.submit }))) return;
    await busy(r.form, async () => {
      try {
        page.user = await updateUser(page.user.id, body);
        if (page.user.id === currentUser()?.id) setUser(page.user); // your own name in the header
        clearFieldErrors(r.form, summary);
        fill(page);
        setText(r.notice, t("Saved changes to {name}.", { name: displayName(page.user) }));
        r.notice.focus();
      } catch (error) {
        if (ctx.signal.aborted || error.status === 401) return;
        showFormProblem(r.form, summary, error, EDIT_FIELDS, t("user"));
      }
    });
  });
}

function setUpLink(page) {
  const { ctx, view } = page;
  const r = refs(view);
  r["make-link"].addEventListener("click", async () => {
    r["link-problem"].replaceChildren();
    r["make-link"].disabled = true;
    try {
      const link = await makeResetLink(page.user.id);
      page.user = { ...page.user, password_reset_requested_at: null };
      fill(page);
      view.linkBox.show(link, t("Give this link to {name} yourself (not by a shared channel). It works once, until {when}.", {
        name: displayName(page.user), when: formatDateTime(link.expires_at) }));
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      r["link-problem"].replaceChildren(inlineProblem(t("Could not make a reset link"), error));
    } finally {
      r["make-link"].disabled = !page.user.is_active;
    }
  });
}
