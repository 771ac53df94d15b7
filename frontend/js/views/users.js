// #/admin/users?q=&role=&page= — admins: find users, page through them, and change a user's name,
// role or active state in a dialog. The list's state is in the hash, like the catalog's.

import { listUsers, updateUser } from "../api.js";
import { clone, refs, el, setText, showLoading, showProblem, showEmpty, isAbort, focusLost, doneLoading } from "../dom.js";
import { clearFieldErrors, showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { userListState, userListApiParams, userListHash, userPatchBody } from "../accounts.js";
import { formatDate, formatDateTime } from "../format.js";
import { pageInfo, resultsSummary } from "../query.js";
import { ROLES, roleLabel, currentUser, setUser, displayName } from "../session.js";
import { renderPager } from "./results.js";

const EDIT_FIELDS = ["display_name", "role", "is_active"];
const states = new WeakMap(); // view -> the list state it shows
const editing = new WeakMap(); // view -> { user, opener } while the dialog is open

/** Draw the list for ctx.query, reusing the mounted controls when only the query changed. */
export async function render(ctx) {
  const state = userListState(ctx.query);
  let view = ctx.sameView ? ctx.root.querySelector(':scope > [data-view="users"]') : null;
  if (!view) {
    view = mount(ctx);
    ctx.root.replaceChildren(view);
  }
  states.set(view, state);
  const form = refs(view).form;
  form.elements.q.value = state.q;
  form.elements.role.value = state.role;
  ctx.ready();
  await loadUsers(ctx, view, state);
}

function roleOptions(select) {
  select.append(...ROLES.map((role) => new Option(roleLabel(role), role)));
}

function mount(ctx) {
  const view = clone("tpl-users");
  const r = refs(view);
  roleOptions(r.role);
  roleOptions(r["edit-role"]);
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(r.form);
    ctx.navigate(userListHash(states.get(view), { q: String(data.get("q") ?? "").trim(), role: String(data.get("role") ?? "") }));
  });
  r.role.addEventListener("change", () => r.form.requestSubmit());
  setUpDialog(ctx, view);
  return view;
}

async function loadUsers(ctx, view, state, { retry = false } = {}) {
  const r = refs(view);
  showLoading(r.results, "Loading users…");
  try {
    const envelope = await listUsers(userListApiParams(state), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = pageInfo(envelope);
    if (envelope.items.length) {
      r.results.replaceChildren(el("ul", { className: "cards user-list" }, ...envelope.items.map((user) => userItem(view, user))));
      doneLoading(r.results);
    } else if (info.outOfRange) {
      showEmpty(r.results, "This page is past the end of the list.", "", el("a", { href: userListHash(state, { page: 1 }), text: "Go to the first page" }));
    } else {
      showEmpty(r.results, "No users found.", state.q || state.role ? "Nobody matches this search." : "");
    }
    const summary = resultsSummary(info, "user");
    r.summary.textContent = summary;
    renderPager(r.pager, info, (page) => userListHash(state, { page }));
    if (ctx.sameView) ctx.announce(`${summary}.`);
    if ((ctx.sameView || retry) && focusLost()) r.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r.summary.textContent = "Could not load users";
    r.pager.replaceChildren();
    showProblem(r.results, error, () => loadUsers(ctx, view, state, { retry: true }));
  }
}

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

function userItem(view, user) {
  const node = clone("tpl-user-item");
  const r = refs(node);
  node.dataset.userId = String(user.id);
  r.name.textContent = displayName(user);
  r.email.textContent = user.email;
  r.role.textContent = roleLabel(user.role);
  setText(r.you, user.id === currentUser()?.id ? "You" : "");
  r.status.textContent = user.is_active ? "Active" : "Disabled";
  r.status.classList.toggle("is-disabled", !user.is_active);
  r.facts.replaceChildren(
    fact("Added", formatDate(user.created_at)),
    fact("Last login", user.last_login_at ? formatDateTime(user.last_login_at) : "Never"),
  );
  r.edit.setAttribute("aria-label", `Edit ${displayName(user)}`);
  r.edit.addEventListener("click", () => openDialog(view, user, r.edit));
  return node;
}

// ---- The edit dialog ----

function openDialog(view, user, opener) {
  const r = refs(view);
  editing.set(view, { user, opener });
  r["dialog-title"].textContent = `Edit ${displayName(user)}`;
  r["dialog-email"].textContent = user.email;
  clearFieldErrors(r["edit-form"], r["edit-summary"]);
  const fields = r["edit-form"].elements;
  fields.display_name.value = user.display_name ?? "";
  fields.role.value = user.role;
  fields.is_active.checked = Boolean(user.is_active);
  r.dialog.showModal();
}

function setUpDialog(ctx, view) {
  const r = refs(view);
  const form = r["edit-form"];
  r["edit-cancel"].addEventListener("click", () => r.dialog.close());
  r.dialog.addEventListener("close", () => {
    const { opener } = editing.get(view) ?? {};
    editing.delete(view);
    if (opener?.isConnected) opener.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { user } = editing.get(view) ?? {};
    if (!user || form.getAttribute("aria-busy") === "true") return;
    const body = userPatchBody(user, {
      display_name: form.elements.display_name.value,
      role: form.elements.role.value,
      is_active: form.elements.is_active.checked,
    });
    if (Object.keys(body).length === 0) {
      r.dialog.close();
      ctx.announce("Nothing was changed.");
      return;
    }
    form.setAttribute("aria-busy", "true");
    r["edit-submit"].disabled = true;
    try {
      const saved = await updateUser(user.id, body);
      if (saved.id === currentUser()?.id) setUser(saved); // your own name in the header
      const item = r.results.querySelector(`[data-user-id="${saved.id}"]`);
      const fresh = userItem(view, saved);
      item?.replaceWith(fresh);
      editing.set(view, { user: saved, opener: refs(fresh).edit });
      r.dialog.close();
      r.status.textContent = `Saved changes to ${displayName(saved)}.`;
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      const grouped = groupErrors(error.errors, EDIT_FIELDS);
      // A 409 (e.g. an admin demoting or disabling themselves) explains itself in the detail.
      if (!Object.keys(grouped.fields).length && !grouped.other.length) grouped.other.push(error.detail || error.title);
      showFieldErrors(form, r["edit-summary"], grouped, {
        order: EDIT_FIELDS,
        heading: (count) => (error.status === 422 ? (count === 1 ? "There is a problem" : `There are ${count} problems`) : "The changes were not saved"),
      });
    } finally {
      form.removeAttribute("aria-busy");
      r["edit-submit"].disabled = false;
    }
  });
}
