// #/admin/audit?actor_email=&action=&resource_type=&resource_id=&since=&until=&page= — admins: who changed what
// and when, newest first, filtered and paged; each event's changes in words. The state is in the hash.

import { listAudit } from "../api.js";
import { el, refs, showLoading, showProblem, showEmpty, isAbort, focusLost, doneLoading } from "../dom.js";
import { AUDIT_RESOURCE_TYPES, actionLabel, auditApiParams, auditListHash, auditListState, describeSummary, knownActions,
  resourceHash } from "../auditlog.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n.js";
import { pageInfo, resultsSummary } from "../query.js";
import { adminNav } from "./adminnav.js";
import { field } from "./formparts.js";
import { renderPager } from "./results.js";

const states = new WeakMap(); // view -> the list state it shows
const FILTERS = ["actor_email", "action", "resource_type", "resource_id", "since", "until"];

/** Draw the trail for ctx.query, reusing the mounted filters when only the query changed. */
export async function render(ctx) {
  const state = auditListState(ctx.query);
  let view = ctx.sameView ? ctx.root.querySelector(':scope > [data-view="audit"]') : null;
  if (!view) {
    view = mount(ctx);
    ctx.root.replaceChildren(view);
    ctx.root.removeAttribute("aria-busy");
  }
  states.set(view, state);
  const form = refs(view).form;
  for (const name of FILTERS) form.elements[name].value = state[name];
  ctx.ready();
  await load(ctx, view, state);
}

function mount(ctx) {
  const typeSelect = el("select", { id: "audit-type", name: "resource_type" },
    el("option", { value: "", text: t("Any record") }),
    ...AUDIT_RESOURCE_TYPES.map((type) => el("option", { value: type, text: t(type) })));
  const view = el("section", { className: "view view-audit", dataset: { view: "audit" } },
    adminNav("audit"),
    el("div", { className: "page-head" },
      el("h1", { tabindex: "-1", text: t("Audit trail") }),
      el("p", { className: "lede", text: t("Every change to books, copies, members, users and settings, and every login, newest first.") })),
    el("form", { className: "finder", role: "search", "aria-label": t("Filter the audit trail"), dataset: { ref: "form" } },
      el("div", { className: "filter-row audit-filters" },
        field({ id: "audit-actor", name: "actor_email", label: t("Who (email)"), type: "search", autocomplete: "off",
          spellcheck: "false", maxlength: "254" }),
        field({ id: "audit-action", name: "action", label: t("What"), type: "search", autocomplete: "off",
          spellcheck: "false", maxlength: "50", list: "audit-actions", hint: t("e.g. book.update") }),
        el("datalist", { id: "audit-actions" }, ...knownActions().map((action) => el("option", { value: action }))),
        el("div", { className: "field" }, el("label", { for: "audit-type", text: t("Record") }), typeSelect),
        field({ id: "audit-id", name: "resource_id", label: t("Record number"), inputmode: "numeric", autocomplete: "off",
          maxlength: "10" }),
        field({ id: "audit-since", name: "since", label: t("From"), type: "date" }),
        field({ id: "audit-until", name: "until", label: t("To"), type: "date" })),
      el("p", { className: "filter-actions" },
        el("button", { type: "submit", className: "button secondary small", text: t("Apply filters") }),
        el("a", { href: "#/admin/audit", className: "clear-link", text: t("Clear the filters") }))),
    el("section", { className: "results", "aria-labelledby": "audit-heading" },
      el("h2", { id: "audit-heading", className: "results-heading", tabindex: "-1", dataset: { ref: "summary" },
        text: t("Events") }),
      el("div", { dataset: { ref: "results" } }),
      el("div", { dataset: { ref: "pager" } })));
  const r = refs(view);
  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(r.form);
    const changes = Object.fromEntries(FILTERS.map((name) => [name, String(data.get(name) ?? "").trim()]));
    ctx.navigate(auditListHash(states.get(view), changes));
  });
  typeSelect.addEventListener("change", () => r.form.requestSubmit());
  return view;
}

async function load(ctx, view, state, { retry = false } = {}) {
  const r = refs(view);
  showLoading(r.results, t("Loading the audit trail…"));
  try {
    const envelope = await listAudit(auditApiParams(state), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = pageInfo(envelope);
    if (envelope.items.length) {
      r.results.replaceChildren(el("ol", { className: "audit-list" }, ...envelope.items.map((e) => eventItem(state, e))));
      doneLoading(r.results);
    } else if (info.outOfRange) {
      showEmpty(r.results, t("This page is past the end of the list."), "",
        el("a", { href: auditListHash(state, { page: 1 }), text: t("Go to the first page") }));
    } else {
      showEmpty(r.results, t("Nothing was recorded that matches."), "", el("a", { href: "#/admin/audit", text: t("Clear the filters") }));
    }
    const summary = resultsSummary(info, "event");
    r.summary.textContent = summary;
    renderPager(r.pager, info, (page) => auditListHash(state, { page }));
    if (ctx.sameView) ctx.announce(`${summary}.`);
    if ((ctx.sameView || retry) && focusLost()) r.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r.summary.textContent = t("Could not load the audit trail");
    r.pager.replaceChildren();
    showProblem(r.results, error, () => load(ctx, view, state, { retry: true }));
  }
}

function eventItem(state, event) {
  const record = event.resource_type ? `${t(event.resource_type)} ${event.resource_id ?? ""}`.trim() : "";
  const page = resourceHash(event);
  const lines = describeSummary(event.action, event.summary);
  return el("li", { className: "audit-event" },
    el("p", { className: "audit-head" },
      el("strong", { text: actionLabel(event.action) }),
      record ? " · " : "",
      record ? (page ? el("a", { href: page, text: record }) : record) : "",
      el("span", { className: "audit-code", text: ` (${event.action})` })),
    el("p", { className: "audit-meta" },
      el("time", { datetime: event.at, text: formatDateTime(event.at) }), ` · ${t("by")} `,
      el("a", { href: auditListHash(state, { actor_email: event.actor }), text: event.actor,
        title: t("Only what {who} did", { who: event.actor }) })),
    lines.length ? el("ul", { className: "audit-changes" }, ...lines.map((line) => el("li", { text: line }))) : null);
}
