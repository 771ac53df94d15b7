// Notices without the DOM (node --test covers it): the words for kinds and states, the log's state in the
// URL (#/notices?kind=overdue&state=failed&member=12&page=2), the mail server's state in one line for staff,
// and the body of a member's change of e-mail choices.

import { buildHash } from "./router.js";
import { t, tn } from "./i18n.js";
import { formatDateTime } from "./format.js";

export const NOTICE_KINDS = Object.freeze(["hold_ready", "due_soon", "overdue", "password_reset"]);
export const NOTICE_STATES = Object.freeze(["queued", "sending", "sent", "failed", "suppressed"]);

/** "hold_ready" -> "Hold ready" (an unknown kind is shown as sent). */
export function kindLabel(kind) {
  const labels = {
    hold_ready: t("Hold ready"),
    due_soon: t("Due soon"),
    overdue: t("Overdue"),
    password_reset: t("Password reset"),
  };
  return labels[kind] ?? String(kind ?? "");
}

/** A state in words: "queued" is "Waiting", "suppressed" is "Not sent". */
export function stateLabel(state) {
  const labels = {
    queued: t("Waiting"),
    sending: t("Sending"),
    sent: t("Sent"),
    failed: t("Failed"),
    suppressed: t("Not sent"),
  };
  return labels[state] ?? String(state ?? "");
}

const ID = /^[1-9]\d{0,9}$/;
const PAGE = /^[1-9]\d{0,5}$/;

/** The log's state from the hash's query; anything unknown is dropped. */
export function noticeListState(query = {}) {
  return {
    kind: NOTICE_KINDS.includes(query.kind) ? query.kind : "",
    state: NOTICE_STATES.includes(query.state) ? query.state : "",
    member: ID.test(query.member ?? "") ? query.member : "",
    page: PAGE.test(query.page ?? "") ? Number(query.page) : 1,
  };
}

/** GET /notices parameters for a log state. */
export function noticeListApiParams(state, perPage = 20) {
  return { kind: state.kind, state: state.state, member_id: state.member, page: state.page, per_page: perPage };
}

/** The hash of the log with some changes; a change of filter goes back to page 1. */
export function noticeListHash(state, changes = {}) {
  const filterChanged = ["kind", "state", "member"].some((key) => key in changes && changes[key] !== state[key]);
  const next = { ...state, ...changes };
  if (filterChanged && !("page" in changes)) next.page = 1;
  return buildHash("/notices", next, { page: 1 });
}

/**
 * The mail server's state for staff at a glance: { tone: "ok" | "warning" | "problem", title, detail }.
 * status is GET /notices/status.
 */
export function mailServerSummary(status, now = new Date()) {
  const server = status?.mail_server ?? {};
  const waiting = status?.queued ?? 0;
  if (!server.configured) {
    return {
      tone: "warning",
      title: t("No mail server is configured"),
      detail: waiting
        ? tn(waiting, "{count} notice waits in the outbox. Set LIBRARY_SMTP_HOST and the other mail settings to send it.",
          "{count} notices wait in the outbox. Set LIBRARY_SMTP_HOST and the other mail settings to send them.")
        : t("Notices wait in the outbox until LIBRARY_SMTP_HOST and the other mail settings are set."),
    };
  }
  const where = `${server.host}:${server.port}`;
  if (status.failing) {
    return {
      tone: "problem",
      title: t("The mail server is failing"),
      detail: t("Last error {when}: {error}. {waiting}", {
        when: formatDateTime(status.last_failure_at),
        error: status.last_error ?? t("unknown"),
        waiting: tn(waiting, "{count} notice is waiting.", "{count} notices are waiting."),
      }),
    };
  }
  if (status.workers_running === 0 && waiting) {
    return {
      tone: "warning",
      title: t("No background worker is running"),
      detail: tn(waiting, "{count} notice waits to be sent: start the worker (flask --app library worker).",
        "{count} notices wait to be sent: start the worker (flask --app library worker)."),
    };
  }
  const oldest = status.oldest_queued_at ? new Date(status.oldest_queued_at) : null;
  if (oldest && now - oldest > 60 * 60 * 1000) {
    return {
      tone: "warning",
      title: t("Notices are waiting longer than usual"),
      detail: t("The oldest has waited since {when}.", { when: formatDateTime(status.oldest_queued_at) }),
    };
  }
  const last = status.last_sent_at ? t("Last sent {when}.", { when: formatDateTime(status.last_sent_at) }) : t("Nothing sent yet.");
  const failed = status.failed_last_day
    ? ` ${tn(status.failed_last_day, "{count} notice failed in the last day.", "{count} notices failed in the last day.")}`
    : "";
  return { tone: "ok", title: t("Sending through {where}", { where }), detail: `${last}${failed}` };
}

/** What a notice's line says about its state: "Sent 3 Dec 2026, 10:00", "Failed: 550 No such user" ... */
export function noticeStateText(notice) {
  if (notice.state === "sent") return t("Sent {when}", { when: formatDateTime(notice.sent_at) });
  if (notice.reason) return `${stateLabel(notice.state)}: ${notice.reason}`;
  if (notice.state === "queued" && notice.attempts) {
    return t("Waiting to be tried again {when}", { when: formatDateTime(notice.next_attempt_at) });
  }
  return stateLabel(notice.state);
}

/** The PATCH body for a member's choices: only the kinds whose switch changed. */
export function choicesBody(kinds, checked) {
  const body = {};
  for (const kind of kinds) {
    if (kind.kind in checked && Boolean(checked[kind.kind]) !== kind.enabled) body[kind.kind] = Boolean(checked[kind.kind]);
  }
  return body;
}

/** The outcome of a change of choices, in words. */
export function choicesSavedText(body) {
  const on = Object.keys(body).filter((kind) => body[kind]);
  const off = Object.keys(body).filter((kind) => !body[kind]);
  const names = (kinds) => kinds.map((kind) => kindLabel(kind).toLowerCase()).join(", ");
  const parts = [];
  if (on.length) parts.push(t("You will get e-mails for: {kinds}.", { kinds: names(on) }));
  if (off.length) parts.push(t("You will no longer get e-mails for: {kinds}.", { kinds: names(off) }));
  return parts.join(" ") || t("Nothing was changed.");
}

/**
 * A rendered HTML message for the template preview's sandboxed frame, which inherits this page's security
 * policy: style elements and attributes, scripts and event handler attributes are left out as text, before
 * anything parses it (a parser would already report the styles). { html, stripped: styles were left out }.
 */
export function previewHtml(html) {
  let stripped = false;
  const out = String(html ?? "")
    .replace(/<(style|script)\b[\s\S]*?(<\/\1\s*>|$)/gi, (whole, tag) => {
      stripped ||= tag.toLowerCase() === "style";
      return "";
    })
    .replace(/<link\b[^>]*>/gi, () => {
      stripped = true;
      return "";
    })
    .replace(/\s(style|on[a-z]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, (whole, name) => {
      stripped ||= name.toLowerCase() === "style";
      return "";
    });
  return { html: out, stripped };
}
