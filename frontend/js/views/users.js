// #/admin/users?q=&role=&requested=1&page= — admins: find users (also those who asked for a new password), page
// through them, and open one to change it. The list's state is in the hash, like the catalog's.

import { listUsers } from "../api.js";
import { clone, refs, el, setText, showLoading, showProblem, showEmpty, isAbort, focusLost, doneLoading } from "../dom.js";
import { userListState, userListApiParams, userListHash } from "../accounts.js";
import { formatDate, formatDateTime } from "../format.js";
import { t } from "../i18n.js";
import { pageInfo, resultsSummary } from "../query.js";
import { ROLES, roleLabel, currentUser, displayName } from "../session.js";
import { renderPager } from "./results.js";
import { adminNav } from "./adminnav.js";

const states = new WeakMap(); // view -> the list state it shows

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
  form.elements.requested.checked = state.requested;
  ctx.ready();
  await loadUsers(ctx, view, state);
}

function mount(ctx) {
  const view = clone("tpl-users");
  view.prepend(adminNav("users"));
  const r = refs(view);
  r.role.append(...ROLES.map((role) => new Option(roleLabel(role), role)));
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(r.form);
    ctx.navigate(userListHash(states.get(view), {
      q: String(data.get("q") ?? "").trim(), role: String(data.get("role") ?? ""), requested: data.get("requested") === "1",
    }));
  });
  r.role.addEventListener("change", () => r.form.requestSubmit());
  r.requested.addEventListener("change", () => r.form.requestSubmit());
  return view;
}

async function loadUsers(ctx, view, state, { retry = false } = {}) {
  const r = refs(view);
  showLoading(r.results, t("Loading users…"));
  try {
    const envelope = await listUsers(userListApiParams(state), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = pageInfo(envelope);
    if (envelope.items.length) {
      r.results.replaceChildren(el("ul", { className: "cards user-list" }, ...envelope.items.map(userItem)));
      doneLoading(r.results);
    } else if (info.outOfRange) {
      showEmpty(r.results, t("This page is past the end of the list."), "", el("a", { href: userListHash(state, { page: 1 }), text: t("Go to the first page") }));
    } else if (state.requested && !state.q && !state.role) {
      showEmpty(r.results, t("Nobody is waiting for a new password."));
    } else {
      showEmpty(r.results, t("No users found."), state.q || state.role || state.requested ? "Nobody matches this search." : "");
    }
    const summary = resultsSummary(info, "user");
    r.summary.textContent = summary;
    renderPager(r.pager, info, (page) => userListHash(state, { page }));
    if (ctx.sameView) ctx.announce(`${summary}.`);
    if ((ctx.sameView || retry) && focusLost()) r.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r.summary.textContent = t("Could not load users");
    r.pager.replaceChildren();
    showProblem(r.results, error, () => loadUsers(ctx, view, state, { retry: true }));
  }
}

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

function userItem(user) {
  const node = clone("tpl-user-item");
  const r = refs(node);
  node.dataset.userId = String(user.id);
  r.name.textContent = displayName(user);
  r.name.href = `#/admin/users/${user.id}`;
  r.email.textContent = user.email;
  r.role.textContent = roleLabel(user.role);
  setText(r.you, user.id === currentUser()?.id ? t("You") : "");
  r.status.textContent = user.is_active ? t("Active") : t("Disabled");
  r.status.classList.toggle("is-disabled", !user.is_active);
  setText(r.requested, user.password_reset_requested_at ? t("Asked for a new password") : "");
  r.facts.replaceChildren(
    fact(t("Added"), formatDate(user.created_at)),
    fact(t("Last login"), user.last_login_at ? formatDateTime(user.last_login_at) : t("Never")),
  );
  return node;
}
