// The audit trail page's rules, apart from the DOM: its URL state (#/admin/audit?actor_email=&action=&...),
// the API parameters, and readable summaries of the recorded changes. Pure, for node --test.

import { buildHash } from "./router.js";
import { toPositiveInt, DEFAULT_PER_PAGE } from "./query.js";
import { msg, t } from "./i18n.js";
import { copyStatusLabel, MEMBER_STATUS_LABELS } from "./circulation.js";
import { roleLabel, SCOPE_LABELS } from "./session.js";
import { kindLabel } from "./notices.js";
import { FORMAT_LABELS, POLICIES } from "./intake.js";
import { SETTINGS_FIELDS } from "./settingsform.js";

export const AUDIT_RESOURCE_TYPES = Object.freeze(["book", "author", "copy", "member", "loan", "hold", "user", "token"]);
// What each resource type is called on the page (the codes stay in the URL and the API).
const RESOURCE_LABELS = {
  book: msg("book"), author: msg("author"), copy: msg("copy"), member: msg("member"), loan: msg("loan"), hold: msg("hold"),
  user: msg("user"), token: msg("token"),
};

/** "book" -> "book" in the language of the page; an unknown type is shown as recorded. */
export function resourceLabel(type) {
  return RESOURCE_LABELS[type] ? t(RESOURCE_LABELS[type]) : String(type ?? ""); // i18n: RESOURCE_LABELS
}
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
  "book.create": msg("Added a book"), "book.update": msg("Changed a book"), "book.delete": msg("Deleted a book"),
  "author.create": msg("Added an author"), "author.update": msg("Changed an author"), "author.delete": msg("Deleted an author"),
  "copy.create": msg("Added a copy"), "copy.update": msg("Changed a copy"), "copy.delete": msg("Deleted a copy"),
  "member.create": msg("Added a member"), "member.update": msg("Changed a member"), "member.delete": msg("Deleted a member"),
  "member.register": msg("Signed up for a card"), "member.reject": msg("Rejected a sign-up"),
  "member.history_clear": msg("Cleared their reading history"),
  "user.create": msg("Added a user"), "user.update": msg("Changed a user"), "user.delete": msg("Deleted a user"),
  "loan.checkout": msg("Checked out"), "loan.return": msg("Checked in"), "loan.renew": msg("Renewed a loan"),
  "hold.place": msg("Placed a hold"), "hold.cancel": msg("Cancelled a hold"), "hold.expire": msg("A hold expired"),
  "hold.capture": msg("Put a copy on the hold shelf"),
  "book.merge": msg("Merged books"), "author.merge": msg("Merged authors"), "book.import": msg("Imported books"),
  "import.upload": msg("Uploaded a file to import"), "import.commit": msg("Started an import"), "import.done": msg("An import finished"),
  "import.delete": msg("Removed an import"),
  "notice.resend": msg("Sent a notice again"), "notice_template.update": msg("Changed a notice template"),
  "notice_template.reset": msg("Reset a notice template"),
  "settings.update": msg("Changed settings"),
  "auth.login": msg("Logged in"), "auth.logout": msg("Logged out"), "auth.login_failed": msg("Failed to log in"),
  "auth.token_created": msg("Created an API token"), "auth.token_revoked": msg("Revoked an API token"),
  "auth.password_link_created": msg("Made a password link"), "auth.password_set_by_link": msg("Set a password with a link"),
  "auth.password_reset_requested": msg("Asked for a new password"),
  "auth.password_set_by_operator": msg("Password set on the command line"),
  "auth.lockout": msg("Logins paused after failed attempts"),
};

/** "book.update" -> "Changed a book"; an action this page does not know is shown as recorded. */
export function actionLabel(action) {
  return ACTIONS[action] ? t(ACTIONS[action]) : String(action ?? ""); // i18n: ACTIONS
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

// The recorded fields a summary shows most, in words; any other is shown as its name with spaces.
const FIELD_LABELS = {
  title: msg("title"),
  subtitle: msg("subtitle"),
  name: msg("name"),
  sort_name: msg("sort name"),
  email: msg("email"),
  display_name: msg("display name"),
  role: msg("role"),
  is_active: msg("is active"),
  card_number: msg("card number"),
  phone: msg("phone"),
  status: msg("status"),
  book_id: msg("book id"),
  member_id: msg("member id"),
  copy_id: msg("copy id"),
  user_id: msg("user id"),
  location: msg("location"),
  call_number: msg("call number"),
  notes: msg("notes"),
  isbn: msg("isbn"),
  publisher: msg("publisher"),
  published_year: msg("published year"),
  language: msg("language"),
  description: msg("description"),
  subjects: msg("subjects"),
  authors: msg("authors"),
  due_at: msg("due at"),
  renewals: msg("renewals"),
  keep_history: msg("keep reading history"),
  edition: msg("edition"),
  barcode: msg("barcode"),
  archived_at: msg("archived on"),
  cover_id: msg("cover"),
  cover_url: msg("cover address"),
  title_key: msg("title for sorting"),
  other_isbns: msg("other ISBNs"),
  last_loaned_at: msg("last lent"),
  last_borrowed_month: msg("last borrowed (month)"),
  password: msg("password"),
  must_change_password: msg("must change password"),
  temporary: msg("temporary"),
  scopes: msg("scopes"),
  client: msg("client address"),
  scope: msg("paused for"),
  failures: msg("failed attempts"),
  retry_after: msg("seconds before the next try"),
  purpose: msg("purpose"),
  expires_at: msg("expires at"),
  address: msg("address"),
  hold_id: msg("hold id"),
  next_hold_id: msg("next hold id"),
  loans: msg("loans"),
  holds: msg("holds"),
  copies: msg("copies"),
  books: msg("books"),
  titles: msg("titles"),
  isbns: msg("ISBNs"),
  fields: msg("fields taken"),
  "from": msg("merged from"),
  into: msg("merged into"),
  merged: msg("merged"),
  reason: msg("reason"),
  kind: msg("kind"),
  notice_id: msg("notice id"),
  to: msg("sent to"),
  "import": msg("import"),
  file: msg("file"),
  filename: msg("file name"),
  format: msg("format"),
  bytes: msg("size (bytes)"),
  policy: msg("duplicates policy"),
  records: msg("records"),
  "new": msg("new"),
  duplicate: msg("duplicates"),
  likely_duplicate: msg("likely duplicates"),
  invalid: msg("invalid"),
  added: msg("books added"),
  copies_added: msg("copies added"),
  skipped: msg("skipped"),
  warnings: msg("warnings"),
};

// A settings.update event records each changed setting by its key: it is called what the settings page calls it.
const SETTING_LABELS = Object.fromEntries(SETTINGS_FIELDS.map((field) => [field.key, field.label]));

// Recorded values that are codes or English words, in words of the page's language (by field; a function gets
// the event's resource type). Any other value is shown as recorded (names, titles, numbers, dates).
const WORDS = {
  changed: msg("changed"), // a secret (password, token) is recorded only as changed
  "books merged": msg("books merged"), "book archived": msg("book archived"), // why a hold was cancelled
  client: msg("this client"), account: msg("this account"), // which logins a lockout paused
  welcome: msg("welcome"), reset: msg("reset"), // what a password link is for
};
const VALUE_LABELS = {
  status: (value, type) => (type === "member" && MEMBER_STATUS_LABELS[value] ? t(MEMBER_STATUS_LABELS[value]) // i18n: MEMBER_STATUS_LABELS
    : copyStatusLabel(value)),
  role: (value) => roleLabel(value),
  scopes: (value) => (SCOPE_LABELS[value] ? t(SCOPE_LABELS[value]) : value), // i18n: SCOPE_LABELS
  kind: (value) => kindLabel(value),
  format: (value) => FORMAT_LABELS[value] ?? value,
  policy: (value) => {
    const policy = POLICIES.find((p) => p.value === value);
    return policy ? t(policy.label) : value; // i18n: POLICIES
  },
};

function fieldLabel(key) {
  if (FIELD_LABELS[key]) return t(FIELD_LABELS[key]); // i18n: FIELD_LABELS
  if (SETTING_LABELS[key]) return t(SETTING_LABELS[key]); // i18n: SETTINGS_FIELDS
  return key.replaceAll("_", " ");
}

function valueText(key, value, type) {
  if (Array.isArray(value)) return value.length ? value.map((v) => valueText(key, v, type)).join(", ") : t("(none)");
  if (typeof value !== "string" || !value) return show(value);
  if (VALUE_LABELS[key]) return VALUE_LABELS[key](value, type);
  return WORDS[value] ? t(WORDS[value]) : value; // i18n: WORDS
}

/**
 * Readable lines for an event's summary. Changes ({field: [old, new]}, for updates) read "loan days: 21 → 28";
 * anything else "field: value". Secrets are recorded only as "changed". Field names and coded values are in the
 * page's language.
 */
export function describeSummary(action, summary) {
  const changes = /\.update$/.test(String(action ?? ""));
  const type = String(action ?? "").split(".")[0];
  return Object.entries(summary ?? {}).map(([key, value]) => {
    const label = fieldLabel(key);
    if (changes && Array.isArray(value) && value.length === 2) {
      return t("{field}: {old} → {new}", { field: label, old: valueText(key, value[0], type), new: valueText(key, value[1], type) });
    }
    return t("{field}: {value}", { field: label, value: valueText(key, value, type) });
  });
}

const PAGES = { book: (id) => `#/books/${id}`, author: (id) => `#/authors/${id}`, member: (id) => `#/members/${id}`,
  user: (id) => `#/admin/users/${id}` };

/** Where the record an event is about can be seen in the app, or null. */
export function resourceHash(event) {
  const page = PAGES[event?.resource_type];
  return page && event.resource_id ? page(event.resource_id) : null;
}
