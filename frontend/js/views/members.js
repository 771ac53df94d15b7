// #/members?q=&status=&page= — staff: find library members by name or card number (or those waiting for
// approval), page through them, open one. One compact row per member. The list's state is in the hash.

import { listMembers } from "../api.js";
import { clone, refs, el, showLoading, showProblem, showEmpty, isAbort, focusLost, doneLoading } from "../dom.js";
import { memberListState, memberListApiParams, memberListHash, MEMBER_STATUSES, MEMBER_STATUS_LABELS } from "../circulation.js";
import { t, tn } from "../i18n.js";
import { pageInfo, resultsSummary } from "../query.js";
import { renderPager } from "./results.js";

const states = new WeakMap(); // view -> the list state it shows

/** Draw the list for ctx.query, reusing the mounted controls when only the query changed. */
export async function render(ctx) {
  const state = memberListState(ctx.query);
  let view = ctx.sameView ? ctx.root.querySelector(':scope > [data-view="members"]') : null;
  if (!view) {
    view = mount(ctx);
    ctx.root.replaceChildren(view);
    ctx.root.removeAttribute("aria-busy");
  }
  states.set(view, state);
  const form = refs(view).form;
  form.elements.q.value = state.q;
  form.elements.status.value = state.status;
  ctx.ready();
  await loadMembers(ctx, view, state);
}

function mount(ctx) {
  const view = clone("tpl-members");
  const r = refs(view);
  r.status.append(...MEMBER_STATUSES.map((status) => new Option(MEMBER_STATUS_LABELS[status], status)));
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(r.form);
    ctx.navigate(memberListHash(states.get(view), { q: String(data.get("q") ?? "").trim(), status: String(data.get("status") ?? "") }));
  });
  r.status.addEventListener("change", () => r.form.requestSubmit());
  return view;
}

async function loadMembers(ctx, view, state, { retry = false } = {}) {
  const r = refs(view);
  showLoading(r.results, "Loading members…");
  try {
    const envelope = await listMembers(memberListApiParams(state), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = pageInfo(envelope);
    if (envelope.items.length) {
      r.results.replaceChildren(el("ul", { className: "member-list" }, ...envelope.items.map(memberItem)));
      doneLoading(r.results);
    } else if (info.outOfRange) {
      showEmpty(r.results, "This page is past the end of the list.", "", el("a", { href: memberListHash(state, { page: 1 }), text: "Go to the first page" }));
    } else if (state.q || state.status) {
      showEmpty(r.results, "No members found.", "Nobody matches this search.", el("a", { href: "#/members/new", text: "Add a new member" }));
    } else {
      showEmpty(r.results, "No members yet.", "", el("a", { href: "#/members/new", text: "Add the first member" }));
    }
    const summary = resultsSummary(info, "member");
    r.summary.textContent = summary;
    renderPager(r.pager, info, (page) => memberListHash(state, { page }));
    if (ctx.sameView) ctx.announce(`${summary}.`);
    if ((ctx.sameView || retry) && focusLost()) r.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r.summary.textContent = "Could not load members";
    r.pager.replaceChildren();
    showProblem(r.results, error, () => loadMembers(ctx, view, state, { retry: true }));
  }
}

function memberItem(member) {
  const node = clone("tpl-member-item");
  const r = refs(node);
  r.link.href = `#/members/${member.id}`;
  r.link.textContent = member.name;
  r.card.textContent = member.card_number ?? t("No card number yet");
  r.status.textContent = MEMBER_STATUS_LABELS[member.status] ?? member.status;
  r.status.classList.toggle("is-disabled", member.status === "suspended");
  r.status.classList.toggle("badge-overdue", member.status === "pending");
  r.loans.textContent = tn(member.active_loans, "{count} book on loan", "{count} books on loan");
  return node;
}
