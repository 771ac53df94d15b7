// #/notices?kind=&state=&member=&page= — staff: the mail server's state at a glance, and the notices log
// (filter by kind, state and member; read a message; send a failed one again). Admins also get the list of
// templates, each edited on #/notices/templates/{kind}. The markup is built here, with the view.

import { listNotices, getNotice, resendNotice, getNoticeStatus, listNoticeTemplates } from "../api.js";
import { el, showLoading, showProblem, showEmpty, doneLoading, isAbort, focusLost, inlineProblem } from "../dom.js";
import {
  NOTICE_KINDS, NOTICE_STATES, kindLabel, stateLabel, noticeListState, noticeListApiParams, noticeListHash,
  mailServerSummary, noticeStateText,
} from "../notices.js";
import { formatDateTime } from "../format.js";
import { pageInfo } from "../query.js";
import { currentUser, isAdmin } from "../session.js";
import { renderPager } from "./results.js";
import { t, tn } from "../i18n.js";

const views = new WeakMap(); // view -> { state, refs }

/** Draw the page for ctx.query, reusing the mounted page when only the filters or the page changed. */
export async function render(ctx) {
  const state = noticeListState(ctx.query);
  let view = ctx.sameView ? ctx.root.querySelector(':scope > [data-view="notices"]') : null;
  if (!view) {
    view = mount(ctx);
    ctx.root.replaceChildren(view);
    ctx.root.removeAttribute("aria-busy");
    loadStatus(ctx, view);
    if (isAdmin(currentUser()?.role)) loadTemplates(ctx, view);
  }
  const page = views.get(view);
  page.state = state;
  page.refs.kind.value = state.kind;
  page.refs.state.value = state.state;
  drawMemberFilter(ctx, view);
  ctx.ready();
  await loadLog(ctx, view);
}

function options(select, values, label, anyText) {
  select.append(new Option(anyText, ""), ...values.map((value) => new Option(label(value), value)));
}

function mount(ctx) {
  const refs = {
    status: el("div", { className: "mail-status" }),
    kind: el("select", { id: "notices-kind", name: "kind" }),
    state: el("select", { id: "notices-state", name: "state" }),
    member: el("p", { className: "active-filters" }),
    summary: el("h3", { className: "results-heading", tabindex: "-1", text: t("Notices") }),
    message: el("p", { className: "notice", role: "status" }),
    results: el("div"),
    pager: el("div"),
    templates: el("div"),
  };
  options(refs.kind, NOTICE_KINDS, kindLabel, t("All kinds"));
  options(refs.state, NOTICE_STATES, stateLabel, t("Any state"));
  const form = el("form", { className: "finder", role: "search", "aria-label": t("Filter the notices") },
    el("div", { className: "filter-row user-filters" },
      el("div", { className: "field" }, el("label", { for: "notices-kind", text: t("Kind") }), refs.kind),
      el("div", { className: "field" }, el("label", { for: "notices-state", text: t("State") }), refs.state),
      el("div", { className: "field field-button" }, el("button", { type: "submit", className: "button", text: t("Filter") }))),
    refs.member);
  const view = el("section", { className: "view view-notices", dataset: { view: "notices" } },
    el("div", { className: "page-head" },
      el("h1", { tabindex: "-1", text: t("Notices") }),
      el("p", { className: "lede", text: t("E-mails to members: what was sent, what waits and what failed.") })),
    el("section", { className: "panel", "aria-labelledby": "mail-status-heading" },
      el("h2", { id: "mail-status-heading", text: t("Mail server") }), refs.status),
    el("section", { className: "panel", "aria-labelledby": "notices-log-heading" },
      el("h2", { id: "notices-log-heading", text: t("Log") }), form, refs.message, refs.summary, refs.results, refs.pager),
    refs.templates);
  views.set(view, { refs, state: noticeListState({}) });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { state } = views.get(view);
    ctx.navigate(noticeListHash(state, { kind: refs.kind.value, state: refs.state.value }));
  });
  for (const select of [refs.kind, refs.state]) select.addEventListener("change", () => form.requestSubmit());
  return view;
}

function drawMemberFilter(ctx, view) {
  const { refs, state } = views.get(view);
  if (!state.member) {
    refs.member.replaceChildren();
    refs.member.hidden = true;
    return;
  }
  const link = el("a", { className: "chip chip-active", href: noticeListHash(state, { member: "" }) },
    el("span", { className: "visually-hidden", text: t("Remove the filter ") }),
    t("Member {id}", { id: state.member }), el("span", { className: "chip-x", "aria-hidden": "true", text: " ×" }));
  refs.member.replaceChildren(t("Only the notices of "), el("a", { href: `#/members/${state.member}`, text: t("member {id}", { id: state.member }) }), " ", link);
  refs.member.hidden = false;
}

// ---- The mail server at a glance ----

async function loadStatus(ctx, view) {
  const { refs } = views.get(view);
  showLoading(refs.status, t("Checking the mail server…"));
  try {
    const status = await getNoticeStatus({ signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const summary = mailServerSummary(status);
    const icon = { ok: "✓", warning: "!", problem: "✗" }[summary.tone];
    refs.status.replaceChildren(el("div", { className: `status-box is-${summary.tone}` },
      el("p", { className: "status-title" }, el("span", { className: "status-icon", "aria-hidden": "true", text: icon }), " ",
        el("strong", { text: summary.title })),
      el("p", { text: summary.detail }),
      el("dl", { className: "card-facts" },
        fact(t("Waiting"), String(status.queued)), fact(t("Sent"), String(status.sent)),
        fact(t("Failed"), String(status.failed)), fact(t("Not sent"), String(status.suppressed)))));
    doneLoading(refs.status);
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    showProblem(refs.status, error, () => loadStatus(ctx, view));
  }
}

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

// ---- The log ----

async function loadLog(ctx, view, { retry = false } = {}) {
  const page = views.get(view);
  const { refs, state } = page;
  showLoading(refs.results, t("Loading notices…"));
  try {
    const envelope = await listNotices(noticeListApiParams(state), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = pageInfo(envelope);
    if (envelope.items.length) {
      refs.results.replaceChildren(el("ul", { className: "cards notice-list" },
        ...envelope.items.map((notice) => noticeItem(ctx, view, notice))));
      doneLoading(refs.results);
    } else if (info.outOfRange) {
      showEmpty(refs.results, t("This page is past the end of the log."), "",
        el("a", { href: noticeListHash(state, { page: 1 }), text: t("Go to the first page") }));
    } else {
      showEmpty(refs.results, t("No notices."), state.kind || state.state || state.member
        ? t("None match these filters.") : t("Notices appear here when a hold is ready or a loan is due."));
    }
    const summary = info.total === 0 ? t("No notices") : info.total <= info.last - info.first + 1
      ? tn(info.total, "{count} notice", "{count} notices")
      : t("Notices {first}–{last} of {total}", { first: info.first, last: info.last, total: info.total });
    refs.summary.textContent = summary;
    renderPager(refs.pager, info, (number) => noticeListHash(state, { page: number }));
    if (ctx.sameView) ctx.announce(`${summary}.`);
    if ((ctx.sameView || retry) && focusLost()) refs.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    refs.summary.textContent = t("Could not load the notices");
    refs.pager.replaceChildren();
    showProblem(refs.results, error, () => loadLog(ctx, view, { retry: true }));
  }
}

function noticeItem(ctx, view, notice) {
  const tone = { failed: "is-disabled", suppressed: "is-muted", sent: "is-ok" }[notice.state] ?? "";
  const recipient = notice.member_id
    ? el("a", { href: `#/members/${notice.member_id}`, text: notice.member_name ?? t("member {id}", { id: notice.member_id }) })
    : t("User account {id}", { id: notice.user_id ?? "?" });
  const body = el("div", { className: "notice-message", hidden: true });
  const problem = el("div");
  const show = el("button", { type: "button", className: "button secondary small", "aria-expanded": "false",
    text: t("Show the message") });
  const item = el("li", { className: "card notice-card", dataset: { noticeId: String(notice.id) } },
    el("h3", { className: "card-title", text: notice.subject }),
    el("p", { className: "badges" }, el("span", { className: "badge", text: kindLabel(notice.kind) }),
      el("span", { className: `badge ${tone}`, text: stateLabel(notice.state) })),
    el("p", { className: "notice-state", text: noticeStateText(notice) }),
    el("dl", { className: "card-facts" },
      el("div", { className: "fact" }, el("dt", { text: t("To") }), el("dd", {}, recipient,
        notice.to_address ? ` <${notice.to_address}>` : ` (${t("no e-mail address")})`)),
      fact(t("Made"), formatDateTime(notice.created_at)),
      fact(t("Tries"), String(notice.attempts))),
    el("div", { className: "actions" }, show, notice.state === "failed" ? resendButton(ctx, view, notice, problem) : null),
    problem, body);
  show.setAttribute("aria-label", t("Show the message “{subject}”", { subject: notice.subject }));
  show.addEventListener("click", async () => {
    if (!body.hidden) {
      body.hidden = true;
      show.setAttribute("aria-expanded", "false");
      show.textContent = t("Show the message");
      return;
    }
    show.disabled = true;
    try {
      const full = await getNotice(notice.id, { signal: ctx.signal });
      body.replaceChildren(el("p", { className: "hint-text", text: t("Message-ID {id}", { id: full.message_id }) }),
        el("pre", { className: "message-text", tabindex: "0", text: full.body_text }));
      body.hidden = false;
      show.setAttribute("aria-expanded", "true");
      show.textContent = t("Hide the message");
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
      problem.replaceChildren(inlineProblem(t("Could not load the message"), error));
    } finally {
      show.disabled = false;
    }
  });
  return item;
}

function resendButton(ctx, view, notice, problem) {
  const button = el("button", { type: "button", className: "button small", text: t("Send again"),
    "aria-label": t("Send “{subject}” again", { subject: notice.subject }) });
  button.addEventListener("click", async () => {
    button.disabled = true;
    problem.replaceChildren();
    try {
      const queued = await resendNotice(notice.id);
      const { refs } = views.get(view);
      const fresh = noticeItem(ctx, view, queued);
      button.closest("li").replaceWith(fresh);
      refs.message.textContent = t("“{subject}” will be sent again: it waits in the outbox.", { subject: queued.subject });
      fresh.querySelector("button")?.focus();
      loadStatus(ctx, view);
    } catch (error) {
      button.disabled = false;
      if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
      problem.replaceChildren(inlineProblem(t("Could not send it again"), error));
    }
  });
  return button;
}

// ---- Templates (admins) ----

async function loadTemplates(ctx, view) {
  const { refs } = views.get(view);
  const list = el("div");
  refs.templates.replaceChildren(el("section", { className: "panel", "aria-labelledby": "notice-templates-heading" },
    el("h2", { id: "notice-templates-heading", text: t("Templates") }),
    el("p", { className: "hint-text", text: t("Each kind of notice has a subject, a plain-text body and an HTML body. Edit them with a preview; one that does not work is refused when saved.") }),
    list));
  showLoading(list, t("Loading templates…"));
  try {
    const templates = await listNoticeTemplates({ signal: ctx.signal });
    if (ctx.signal.aborted) return;
    list.replaceChildren(el("ul", { className: "template-list" }, ...templates.map((template) => el("li", {},
      el("a", { href: `#/notices/templates/${template.kind}`, text: template.label }), " ",
      el("span", { className: "badge", text: template.customized ? t("Changed") : t("Built in") })))));
    doneLoading(list);
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    showProblem(list, error, () => loadTemplates(ctx, view));
  }
}
