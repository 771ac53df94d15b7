// The account pages' data rules, kept apart from the DOM: login and access messages, the users list's
// URL state, and the JSON bodies for tokens and user edits. Pure, so node --test covers it.

import { buildHash } from "./router.js";
import { ROLES, roleLabel, tokenScopesFor } from "./session.js";
import { toPositiveInt, DEFAULT_PER_PAGE } from "./query.js";
import { t, tn } from "./i18n.js";

export const INCORRECT_LOGIN = "Incorrect email or password.";

/** "1 second", "30 seconds". */
function seconds(n) {
  return `${n.toLocaleString("en")} ${n === 1 ? "second" : "seconds"}`;
}

/** What to tell someone whose login failed, from the ApiError. */
export function loginProblem(error) {
  if (error?.status === 401) return INCORRECT_LOGIN;
  if (error?.status === 429) {
    const wait = error.retryAfter;
    return Number.isFinite(wait) && wait > 0
      ? `Too many attempts, try again in ${seconds(Math.ceil(wait))}.`
      : "Too many attempts, try again in a moment.";
  }
  if (error?.status === 0) return error.detail || "The server could not be reached. Try again.";
  return error?.detail || error?.title || "Logging in did not work. Try again.";
}

/** Client-side checks before a login is sent: { fields: { name: [message] }, other: [] }. */
export function loginFormErrors({ email = "", password = "" } = {}) {
  const fields = {};
  if (!String(email).trim()) fields.email = ["Enter your email address."];
  if (!String(password)) fields.password = ["Enter your password."];
  return { fields, other: [] };
}

const ACCESS_NEEDS = {
  catalog: { who: "a librarian", what: "Adding, editing and deleting books needs a librarian or admin account." },
  staff: { who: "a librarian", what: "The circulation desk and member records need a librarian or admin account." },
  admin: { who: "an admin", what: "Managing users and settings and reading the audit trail need an admin account." },
  user: { who: null, what: "Your account and your loans are shown once you have logged in." },
};

/**
 * The heading and explanation for a page the user may not see: anonymous visitors are asked to log
 * in (login: true); signed-in users whose role is not enough are told which role it needs.
 */
export function accessMessage(access, user) {
  const need = ACCESS_NEEDS[access] ?? { who: null, what: "This page needs you to log in." };
  if (!user) {
    return {
      title: need.who ? `Log in as ${need.who} to continue` : "Log in to continue",
      detail: need.what,
      login: true,
    };
  }
  return {
    title: `This page needs ${need.who ?? "another account"}`,
    detail: `You are logged in as a ${roleLabel(user.role).toLowerCase()}. ${need.what} Ask an admin if you need access.`,
    login: false,
  };
}

// ---- The users list (#/admin/users?q=&role=&page=) ----

export const USER_LIST_DEFAULTS = Object.freeze({ page: 1 });

/** Normalise the parsed hash query into { q, role, requested, page }; an unknown role is ignored. */
export function userListState(query = {}) {
  const q = typeof query.q === "string" ? query.q.trim() : "";
  return {
    q,
    role: ROLES.includes(query.role) ? query.role : "",
    requested: query.requested === "1",
    page: toPositiveInt(query.page, 1),
  };
}

/** GET /users parameters for a list state. */
export function userListApiParams(state) {
  const params = { page: state.page, per_page: DEFAULT_PER_PAGE };
  if (state.q) params.q = state.q;
  if (state.role) params.role = state.role;
  if (state.requested) params.reset_requested = true;
  return params;
}

/** The canonical hash for a users-list state; changing a filter goes back to page 1. */
export function userListHash(state, changes = {}) {
  const next = { ...state, ...changes };
  if (Object.keys(changes).some((k) => k !== "page") && !("page" in changes)) next.page = 1;
  return buildHash("/admin/users", { q: next.q, role: next.role, requested: next.requested ? "1" : "", page: next.page },
    USER_LIST_DEFAULTS);
}

/** Only the fields of a user edit that differ from the user: {display_name?, role?, is_active?}. */
export function userPatchBody(user, { display_name, role, is_active }) {
  const body = {};
  const name = String(display_name ?? "").trim();
  if (name !== (user.display_name ?? "")) body.display_name = name;
  if (role && role !== user.role) body.role = role;
  if (Boolean(is_active) !== Boolean(user.is_active)) body.is_active = Boolean(is_active);
  return body;
}

/** The POST /users body from the add-a-user form (the server validates). */
export function newUserBody({ email, display_name, role, password, must_change_password = true }) {
  return {
    email: String(email ?? "").trim(),
    display_name: String(display_name ?? "").trim(),
    role: role || "member",
    password: String(password ?? ""),
    must_change_password: Boolean(must_change_password),
  };
}

// ---- Member logins ----

export const LOGIN_MODES = Object.freeze(["none", "link", "temporary"]);

/**
 * The `login` part of a new card from the form: none, a link for the member to set their password, or a
 * temporary password. The login email defaults to the card's contact email.
 */
export function memberLoginBody({ mode = "none", login_email = "", email = "", temporary_password = "" } = {}) {
  if (mode !== "link" && mode !== "temporary") return null;
  const body = { email: String(login_email ?? "").trim() || String(email ?? "").trim() };
  if (mode === "temporary") body.temporary_password = String(temporary_password ?? "");
  return body;
}

/** Only the fields of a member edit that differ from the member: {name?, card_number?, email?, phone?}. */
export function memberPatchBody(member, values, keys = ["name", "card_number", "email", "phone"]) {
  const body = {};
  for (const key of keys) {
    if (!(key in values)) continue;
    const value = String(values[key] ?? "").trim();
    const optional = key === "email" || key === "phone";
    const next = optional && value === "" ? null : value;
    if (next !== (member?.[key] ?? (optional ? null : ""))) body[key] = next;
  }
  return body;
}

/** Whether the signed-in user must choose a new password before anything else. */
export function mustChangePassword(user) {
  return Boolean(user?.must_change_password);
}

// ---- API tokens ----

export const TOKEN_DEFAULT_DAYS = 90;
export const TOKEN_MAX_DAYS = 365;

/**
 * The POST /tokens body from the form: a trimmed name, the checked scopes the role may give (in
 * their usual order), and the expiry in days: a number when it is digits, else as typed so the
 * server's field error explains it.
 */
export function tokenBody({ name, scopes = [], expires_in_days }, role) {
  const allowed = tokenScopesFor(role);
  const days = String(expires_in_days ?? "").trim();
  const body = {
    name: String(name ?? "").trim(),
    scopes: allowed.filter((scope) => scopes.includes(scope)),
  };
  if (days !== "") body.expires_in_days = /^\d+$/.test(days) ? Number(days) : days;
  return body;
}

/** "read, write" for a token's scopes. */
export function scopesText(scopes) {
  return (scopes ?? []).length ? scopes.join(", ") : "none";
}

/** Field errors under other names, e.g. {"login.email": ["…"]} -> {login_email: ["…"]} for the form's controls. */
export function renameErrors(errors, names) {
  const renamed = {};
  for (const [key, messages] of Object.entries(errors ?? {})) renamed[names[key] ?? key] = messages;
  return renamed;
}

/** "Too many requests: try again in 2 minutes." for a 429, from its Retry-After (seconds; minutes above 90 s). */
export function tooManyRequests(error) {
  const wait = Number(error?.retryAfter);
  if (!Number.isFinite(wait) || wait <= 0) return t("Too many requests: try again later.");
  if (wait <= 90) return tn(Math.ceil(wait), "Too many requests: try again in {count} second.", "Too many requests: try again in {count} seconds.");
  return tn(Math.ceil(wait / 60), "Too many requests: try again in {count} minute.", "Too many requests: try again in {count} minutes.");
}
