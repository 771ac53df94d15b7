// The one module that talks to the server. Every call sends and receives JSON; any non-2xx answer
// (an RFC 9457 problem document) becomes an ApiError carrying status, title, detail and the
// field errors map, so views only ever deal with data or one kind of error.
//
// Sessions: the browser sends the HttpOnly session cookie by itself. Writes carry the CSRF token
// (kept here in memory only, never in storage) as X-CSRFToken; when the server says the token is
// missing or expired, it is fetched again from GET /auth/csrf and the write is retried once.
// A 401 anywhere else means the session ended: the handler main.js registers takes over.

import { parseLinkHeader } from "./links.js";

export const API_BASE = "/api/v1";

/** An error answer from the API, or status 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor({ status = 0, title = "Error", detail = "", errors = {}, type = "about:blank", retryAfter = null } = {}) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors && typeof errors === "object" ? errors : {};
    this.type = type;
    this.retryAfter = retryAfter;
  }

  get isNotFound() {
    return this.status === 404;
  }

  /** The server refused a write for a missing, wrong or expired CSRF token. */
  get isCsrfFailure() {
    return this.status === 400 && /\bcsrf\b/i.test(`${this.title} ${this.detail}`);
  }
}

/**
 * Seconds to wait from a Retry-After header: "120" -> 120, an HTTP date -> seconds from `now`
 * (at least 0), anything else -> null.
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (text === "") return null;
  if (/^\d+$/.test(text)) return Number(text);
  if (!/[a-z]/i.test(text)) return null; // "-5", "1.5": not a delay and not a date
  const when = Date.parse(text);
  if (Number.isNaN(when)) return null;
  return Math.max(0, Math.ceil((when - now) / 1000));
}

/** "/books" + {q: "dune", page: 2} -> "/api/v1/books?q=dune&page=2" (null/"" values left out). */
export function apiUrl(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    search.append(key, String(value));
  }
  const query = search.toString();
  return `${API_BASE}${path}${query ? `?${query}` : ""}`;
}

const FALLBACK_TITLES = {
  0: "Cannot reach the server",
  400: "Bad request",
  401: "Not logged in",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  422: "Invalid data",
  429: "Too many requests",
  500: "Server error",
  502: "Server unavailable",
  503: "Service unavailable",
  504: "Server timed out",
};

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") ?? "";
  if (/[/+]json\b/i.test(type)) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return null;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let csrfToken = null; // in memory only: a reload asks GET /auth/me for it again
let csrfRefresh = null; // the GET /auth/csrf in flight, shared by concurrent retries
let unauthorizedHandler = null;

/** Remember the CSRF token from a login, /auth/me, /auth/csrf or password-change answer (null forgets it). */
export function setCsrfToken(token) {
  csrfToken = typeof token === "string" && token !== "" ? token : null;
}

/** Call handler(error, {method, path}) when a request answers 401 (the session expired or was revoked). */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

async function send(method, path, { params, body, signal }) {
  const headers = { Accept: "application/json, application/problem+json" };
  const init = { method, headers, signal, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (UNSAFE_METHODS.has(method) && csrfToken) headers["X-CSRFToken"] = csrfToken;

  let response;
  try {
    response = await fetch(apiUrl(path, params), init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError({
      status: 0,
      title: FALLBACK_TITLES[0],
      detail: "The catalog did not answer. Check your connection and try again.",
    });
  }
  const data = await readBody(response);
  if (response.ok) {
    if (data && typeof data === "object" && Array.isArray(data.items)) {
      data.links = parseLinkHeader(response.headers.get("Link"));
    }
    return data;
  }
  const problem = data && typeof data === "object" ? data : {};
  throw new ApiError({
    status: response.status,
    title: problem.title || FALLBACK_TITLES[response.status] || response.statusText || "Error",
    detail: typeof problem.detail === "string" ? problem.detail : "",
    errors: problem.errors,
    type: problem.type,
    retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
  });
}

/** GET /auth/csrf once for all the writes that are waiting for a fresh token. */
function refreshCsrfToken() {
  csrfRefresh ??= send("GET", "/auth/csrf", {})
    .then((data) => setCsrfToken(data?.csrf_token))
    .finally(() => { csrfRefresh = null; });
  return csrfRefresh;
}

/**
 * Send one request. `params` become the query string, `body` is sent as JSON.
 * Resolves to the parsed body (null for 204); a list response also gets `links` (rel -> URL)
 * from its Link header. Rejects with ApiError, or with the AbortError when `signal` aborts.
 * A write refused for its CSRF token is retried once with a fresh token. A 401 is passed to the
 * onUnauthorized handler first, unless `on401: "throw"` (for calls where 401 is an answer, e.g.
 * a wrong password or "nobody is logged in").
 */
export async function request(method, path, { params, body, signal, on401 = "handle" } = {}) {
  const options = { params, body, signal };
  try {
    try {
      return await send(method, path, options);
    } catch (error) {
      if (!(error instanceof ApiError && error.isCsrfFailure && UNSAFE_METHODS.has(method))) throw error;
      try {
        await refreshCsrfToken();
      } catch (refreshError) {
        // No session any more (401) is the real story; otherwise the original refusal says more.
        throw refreshError instanceof ApiError && refreshError.status === 401 ? refreshError : error;
      }
      return await send(method, path, options);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && on401 === "handle") unauthorizedHandler?.(error, { method, path });
    throw error;
  }
}

const id = (value) => encodeURIComponent(String(value));

export const listBooks = (params, opts) => request("GET", "/books", { ...opts, params });
export const getBook = (bookId, opts) => request("GET", `/books/${id(bookId)}`, opts);
export const createBook = (body, opts) => request("POST", "/books", { ...opts, body });
export const updateBook = (bookId, body, opts) => request("PATCH", `/books/${id(bookId)}`, { ...opts, body });
export const deleteBook = (bookId, opts) => request("DELETE", `/books/${id(bookId)}`, opts);
export const getAuthor = (authorId, opts) => request("GET", `/authors/${id(authorId)}`, opts);
export const listAuthorBooks = (authorId, params, opts) =>
  request("GET", `/authors/${id(authorId)}/books`, { ...opts, params });
export const listSubjects = (params, opts) => request("GET", "/subjects", { ...opts, params });

// ---- Accounts: the session, the signed-in user's password and API tokens, and (admins) users. ----

/** The signed-in user as {user, csrf_token, via, scopes}, or null for an anonymous visitor. */
export async function getMe(opts) {
  try {
    const me = await request("GET", "/auth/me", { ...opts, on401: "throw" });
    setCsrfToken(me?.csrf_token);
    return me;
  } catch (error) {
    if (error.status !== 401) throw error;
    setCsrfToken(null);
    return null;
  }
}

/** Log in: resolves to {user, csrf_token}; a wrong email or password rejects with a 401 ApiError. */
export async function login(email, password, opts) {
  const answer = await request("POST", "/auth/login", { ...opts, body: { email, password }, on401: "throw" });
  setCsrfToken(answer?.csrf_token);
  return answer;
}

/** Log out; a session that has already ended (401) counts as logged out. */
export async function logout(opts) {
  try {
    await request("POST", "/auth/logout", { ...opts, on401: "throw" });
  } catch (error) {
    if (error.status !== 401) throw error;
  } finally {
    setCsrfToken(null);
  }
  return null;
}

/** Change the password; the session id rotates, so the answer's new CSRF token replaces the old one. */
export async function changePassword(body, opts) {
  const answer = await request("POST", "/auth/password", { ...opts, body });
  setCsrfToken(answer?.csrf_token);
  return answer;
}

export const listTokens = (params, opts) => request("GET", "/tokens", { ...opts, params });
export const createToken = (body, opts) => request("POST", "/tokens", { ...opts, body });
export const deleteToken = (tokenId, opts) => request("DELETE", `/tokens/${id(tokenId)}`, opts);

export const listUsers = (params, opts) => request("GET", "/users", { ...opts, params });
export const getUser = (userId, opts) => request("GET", `/users/${id(userId)}`, opts);
export const createUser = (body, opts) => request("POST", "/users", { ...opts, body });
export const updateUser = (userId, body, opts) => request("PATCH", `/users/${id(userId)}`, { ...opts, body });

// ---- Circulation: copies, members, loans, holds, reports and the member's own calendar feed. ----

export const listCopies = (bookId, params, opts) => request("GET", `/books/${id(bookId)}/copies`, { ...opts, params });
export const createCopy = (bookId, body, opts) => request("POST", `/books/${id(bookId)}/copies`, { ...opts, body });
export const updateCopy = (copyId, body, opts) => request("PATCH", `/copies/${id(copyId)}`, { ...opts, body });

export const listMembers = (params, opts) => request("GET", "/members", { ...opts, params });
export const getMember = (memberId, opts) => request("GET", `/members/${id(memberId)}`, opts);
export const createMember = (body, opts) => request("POST", "/members", { ...opts, body });
export const updateMember = (memberId, body, opts) => request("PATCH", `/members/${id(memberId)}`, { ...opts, body });
/** The library card of the signed-in user; rejects with a 404 ApiError when they have none. */
export const getMyMember = (opts) => request("GET", "/members/me", opts);
export const getMyCalendar = (opts) => request("GET", "/members/me/calendar", opts);
export const resetMyCalendar = (opts) => request("POST", "/members/me/calendar", opts);

export const listLoans = (params, opts) => request("GET", "/loans", { ...opts, params });
/** Check a copy out: {barcode, card_number} or {barcode, member_id}. */
export const checkOut = (body, opts) => request("POST", "/loans", { ...opts, body });
/** The desk's return by barcode: resolves to {loan, hold} (hold: the hold the copy now goes to, or null). */
export const returnByBarcode = (barcode, opts) => request("POST", "/returns", { ...opts, body: { barcode } });
export const returnLoan = (loanId, opts) => request("POST", `/loans/${id(loanId)}/return`, opts);
export const renewLoan = (loanId, opts) => request("POST", `/loans/${id(loanId)}/renew`, opts);

export const listHolds = (params, opts) => request("GET", "/holds", { ...opts, params });
/** {book_id} for oneself, or {book_id, card_number | member_id} for staff placing it for a member. */
export const placeHold = (body, opts) => request("POST", "/holds", { ...opts, body });
export const cancelHold = (holdId, opts) => request("DELETE", `/holds/${id(holdId)}`, opts);

export const getLoanRules = (opts) => request("GET", "/loan-rules", opts);
/** The overdue report as a CSV download: a plain link, the session cookie goes with it. */
export const OVERDUE_CSV_URL = apiUrl("/reports/overdue.csv");

// ---- Statistics (staff) and reading history (a member's own). ----

export const getCurrentStats = (opts) => request("GET", "/stats/current", opts);
/** {from, to, group}: loans and returns per bucket beside the same buckets a year earlier. */
export const getCirculationStats = (params, opts) => request("GET", "/stats/circulation", { ...opts, params });
/** {from, to, kind: titles | authors | subjects, limit}. */
export const getTopBorrowed = (params, opts) => request("GET", "/stats/top", { ...opts, params });
/** {from, to, by: subject | language | decade}. */
export const getCollectionStats = (params, opts) => request("GET", "/stats/collection", { ...opts, params });
/** {months, page, per_page}: copies not lent for that long (a page envelope). */
export const listWeedingCandidates = (params, opts) => request("GET", "/stats/weeding", { ...opts, params });
/** Each panel's CSV download (circulation, current, top, collection, weeding): a plain link, the session cookie goes with it. */
export const statsCsvUrl = (panel, params = {}) => apiUrl(`/stats/${panel}.csv`, params);

export const listMyHistory = (params, opts) => request("GET", "/members/me/history", { ...opts, params });
export const clearMyHistory = (opts) => request("DELETE", "/members/me/history", opts);
export const getMyPrivacy = (opts) => request("GET", "/members/me/privacy", opts);
/** {keep_history}: resolves to {keep_history, forgotten} (how many past loans were anonymised). */
export const updateMyPrivacy = (body, opts) => request("PATCH", "/members/me/privacy", { ...opts, body });
export const getMemberPrivacy = (memberId, opts) => request("GET", `/members/${id(memberId)}/privacy`, opts);
export const updateMemberPrivacy = (memberId, body, opts) =>
  request("PATCH", `/members/${id(memberId)}/privacy`, { ...opts, body });
