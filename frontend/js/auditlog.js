// The audit trail page's rules, apart from the DOM: its URL state (#/admin/audit?actor_email=&action=&...),
// the API parameters, and readable summaries of the recorded changes. Pure, for node --test.

import { buildHash } from "./router.js";
import { toPositiveInt, DEFAULT_PER_PAGE } from "./query.js";
import { t } from "./i18n.js";

export const AUDIT_RESOURCE_TYPES = Object.freeze(["book", "author", "copy", "member", "loan", "hold", "user", "token"]);
export const AUDIT_LIST_DEFAULTS = Object.freeze({ page: 1 });
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Normalise the hash query: text filters trimmed, unknown types and malformed dates and ids dropped. */
export function auditListState(query = {}) {
  const text = (value) => (typeof value === "string" ? value.trim() : "");
  const day = (value) => (DAY.test(text(value)) && realDay(text(value)) ? text(value) : "");
  const type = AUDIT_RESOURCE_TYPES.includes(query.resource_type) ? query.resource_type : "";
  return {
    actor_email: text(query.actor_email),
    action: text(query.action),
    resource_type: type,
    resource_id: type && /^[1-9]\d{0,9}$/.test(text(query.resource_id)) ? text(query.resource_id) : "",
    since: day(query.since),
    until: day(query.until),
    page: toPositiveInt(query.page, 1),
  };
}

/** Whether "2026-02-30" is a day of the calendar (it is not). */
function realDay(day) {
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}

/** "2026-11-30" -> "2026-12-01" (UTC calendar days). */
export function nextDay(day) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** GET /audit parameters: the date range covers whole days (UTC), `until` included. */
export function auditApiParams(state) {
  const params = { page: state.page, per_page: DEFAULT_PER_PAGE };
  for (const key of ["actor_email", "action", "resource_type", "resource_id"]) if (state[key]) params[key] = state[key];
  if (state.since) params.since = `${state.since}T00:00:00Z`;
  if (state.until) params.until = `${nextDay(state.until)}T00:00:00Z`;
  return params;
}

/** The canonical hash for a state; changing a filter goes back to page 1. */
export function auditListHash(state, changes = {}) {
  const next = { ...state, ...changes };
  if (Object.keys(changes).some((k) => k !== "page") && !("page" in changes)) next.page = 1;
  const { actor_email, action, resource_type, resource_id, since, until, page } = next;
  return buildHash("/admin/audit", { actor_email, action, resource_type, resource_id: resource_type ? resource_id : "",
    since, until, page }, AUDIT_LIST_DEFAULTS);
}

const ACTIONS = {
  "book.create": "Added a book", "book.update": "Changed a book", "book.delete": "Deleted a book",
  "author.create": "Added an author", "author.update": "Changed an author", "author.delete": "Deleted an author",
  "copy.create": "Added a copy", "copy.update": "Changed a copy", "copy.delete": "Deleted a copy",
  "member.create": "Added a member", "member.update": "Changed a member", "member.delete": "Deleted a member",
  "member.register": "Signed up for a card", "member.reject": "Rejected a sign-up",
  "user.create": "Added a user", "user.update": "Changed a user", "user.delete": "Deleted a user",
  "loan.checkout": "Checked out", "loan.return": "Checked in", "loan.renew": "Renewed a loan",
  "hold.place": "Placed a hold", "hold.cancel": "Cancelled a hold", "hold.expire": "A hold expired",
  "hold.capture": "Put a copy on the hold shelf",
  "book.merge": "Merged books", "author.merge": "Merged authors", "book.import": "Imported books",
  "import.upload": "Uploaded a file to import", "import.commit": "Started an import", "import.done": "An import finished",
  "import.delete": "Removed an import",
  "notice.resend": "Sent a notice again", "notice_template.update": "Changed a notice template",
  "notice_template.reset": "Reset a notice template",
  "settings.update": "Changed settings",
  "auth.login": "Logged in", "auth.logout": "Logged out", "auth.login_failed": "Failed to log in",
  "auth.token_created": "Created an API token", "auth.token_revoked": "Revoked an API token",
  "auth.password_link_created": "Made a password link", "auth.password_set_by_link": "Set a password with a link",
  "auth.password_reset_requested": "Asked for a new password",
  "auth.password_set_by_operator": "Password set on the command line",
  "auth.lockout": "Logins paused after failed attempts",
};

/** "book.update" -> "Changed a book"; an action this page does not know is shown as recorded. */
export function actionLabel(action) {
  return ACTIONS[action] ? t(ACTIONS[action]) : String(action ?? "");
}

/** The actions the filter suggests, in a stable order. */
export function knownActions() {
  return Object.keys(ACTIONS);
}

function show(value) {
  if (value === null || value === undefined || value === "") return t("(none)");
  if (value === true) return t("yes");
  if (value === false) return t("no");
  if (Array.isArray(value)) return value.length ? value.map(show).join(", ") : t("(none)");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Readable lines for an event's summary. Changes ({field: [old, new]}, for updates) read "loan days: 21 → 28";
 * anything else "field: value". Secrets are recorded only as "changed".
 */
export function describeSummary(action, summary) {
  const changes = /\.update$/.test(String(action ?? ""));
  return Object.entries(summary ?? {}).map(([key, value]) => {
    const label = key.replaceAll("_", " ");
    if (changes && Array.isArray(value) && value.length === 2) return `${label}: ${show(value[0])} → ${show(value[1])}`;
    return `${label}: ${show(value)}`;
  });
}

const PAGES = { book: (id) => `#/books/${id}`, author: (id) => `#/authors/${id}`, member: (id) => `#/members/${id}`,
  user: (id) => `#/admin/users/${id}` };

/** Where the record an event is about can be seen in the app, or null. */
export function resourceHash(event) {
  const page = PAGES[event?.resource_type];
  return page && event.resource_id ? page(event.resource_id) : null;
}
