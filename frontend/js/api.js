// The one module that talks to the server. Every call sends and receives JSON; any non-2xx answer
// (an RFC 9457 problem document) becomes an ApiError carrying status, title, detail and the
// field errors map, so views only ever deal with data or one kind of error.
//
// Sessions: the browser sends the HttpOnly session cookie by itself. Writes carry the CSRF token
// (kept here in memory only, never in storage) as X-CSRFToken; when the server says the token is
// missing or expired, it is fetched again from GET /auth/csrf and the write is retried once.
// A 401 anywhere else means the session ended: the handler main.js registers takes over.
//
// Creates, checkouts, returns, renewals and holds send an Idempotency-Key (a fresh random one per call, reused
// by every retry of that call): when the answer is lost (no connection, 502/503/504) or the server says the
// first attempt is still in progress (409 with Retry-After), the call is retried with the same key, so the
// server does the work at most once and the retry gets the first answer.

import { parseLinkHeader } from "./links.js";
import { currentLocale, msg, t } from "./i18n.js";

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
  0: msg("Cannot reach the server"),
  400: msg("Bad request"),
  401: msg("Not logged in"),
  403: msg("Not allowed"),
  404: msg("Not found"),
  409: msg("Conflict"),
  422: msg("Invalid data"),
  429: msg("Too many requests"),
  500: msg("Server error"),
  502: msg("Server unavailable"),
  503: msg("Service unavailable"),
  504: msg("Server timed out"),
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

/** A random UUID (v4) for an Idempotency-Key; getRandomValues also works outside secure contexts. */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Waits before the retries of a call with an Idempotency-Key, in ms (the number of retries is its length). */
export const RETRY_DELAYS_MS = [400, 1200, 2500];

/** Whether an idempotent call may be sent again: its answer was lost, or the first attempt is still running. */
function isRetryable(error) {
  if (!(error instanceof ApiError)) return false;
  return [0, 502, 503, 504].includes(error.status) || (error.status === 409 && error.retryAfter !== null);
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
});

async function sendRetrying(method, path, options) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await send(method, path, options);
    } catch (error) {
      if (!options.idempotencyKey || attempt >= RETRY_DELAYS_MS.length || !isRetryable(error)) throw error;
      const wait = error.retryAfter !== null ? Math.max(error.retryAfter * 1000, RETRY_DELAYS_MS[attempt]) : RETRY_DELAYS_MS[attempt];
      await sleep(wait, options.signal);
    }
  }
}

/** The title of an error answer without a problem document, in the language in use. */
function fallbackTitle(status) {
  return FALLBACK_TITLES[status] ? t(FALLBACK_TITLES[status]) : t("Error"); // i18n: FALLBACK_TITLES
}

async function send(method, path, { params, body, file, signal, idempotencyKey }) {
  const headers = { Accept: "application/json, application/problem+json", "Accept-Language": currentLocale() };
  const init = { method, headers, signal, credentials: "same-origin" };
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  if (file !== undefined) {
    // The one body that is not JSON: an image (the cover upload), sent as the file itself.
    headers["Content-Type"] = file.type || "application/octet-stream";
    init.body = file;
  } else if (body !== undefined) {
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
      title: t(FALLBACK_TITLES[0]), // i18n: FALLBACK_TITLES
      detail: t("The catalog did not answer. Check your connection and try again."),
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
    title: problem.title || fallbackTitle(response.status),
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
 * a wrong password or "nobody is logged in"). `idempotent: true` sends an Idempotency-Key and retries
 * a lost answer with it (see the top of this file).
 */
export async function request(method, path, { params, body, file, signal, on401 = "handle", idempotent = false } = {}) {
  const options = { params, body, file, signal, idempotencyKey: idempotent ? newIdempotencyKey() : undefined };
  try {
    try {
      return await sendRetrying(method, path, options);
    } catch (error) {
      if (!(error instanceof ApiError && error.isCsrfFailure && UNSAFE_METHODS.has(method))) throw error;
      try {
        await refreshCsrfToken();
      } catch (refreshError) {
        // No session any more (401) is the real story; otherwise the original refusal says more.
        throw refreshError instanceof ApiError && refreshError.status === 401 ? refreshError : error;
      }
      return await sendRetrying(method, path, options);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && on401 === "handle") unauthorizedHandler?.(error, { method, path });
    throw error;
  }
}

const id = (value) => encodeURIComponent(String(value));

export const listBooks = (params, opts) => request("GET", "/books", { ...opts, params });
export const getBook = (bookId, opts) => request("GET", `/books/${id(bookId)}`, opts);
export const createBook = (body, opts) => request("POST", "/books", { ...opts, body, idempotent: true });
export const updateBook = (bookId, body, opts) => request("PATCH", `/books/${id(bookId)}`, { ...opts, body });
export const deleteBook = (bookId, opts) => request("DELETE", `/books/${id(bookId)}`, opts);
export const getAuthor = (authorId, opts) => request("GET", `/authors/${id(authorId)}`, opts);
export const listAuthorBooks = (authorId, params, opts) =>
  request("GET", `/authors/${id(authorId)}/books`, { ...opts, params });
export const listSubjects = (params, opts) => request("GET", "/subjects", { ...opts, params });
/** The languages the catalog's books are in: a page of {code, name, book_count}, by name. */
export const listLanguages = (params, opts) => request("GET", "/languages", { ...opts, params });
/** What any visitor may know about the library: {library_name, self_registration}. */
export const getPublicSettings = (opts) => request("GET", "/settings/public", opts);

/** A language's message catalog (locales/<lang>.json, beside index.html): {english: translation}. */
export async function loadCatalog(lang, { signal } = {}) {
  const response = await fetch(`locales/${encodeURIComponent(lang)}.json`, { signal, credentials: "same-origin" });
  if (!response.ok) throw new ApiError({ status: response.status, title: t("Not found"), detail: t("The translations could not be loaded.") });
  return response.json();
}

/**
 * Remember a signed-in member's language on their record (PATCH /members/me {language}), so notices reach them
 * in it. A server without the field (404 or 422) is left alone: the choice is still kept in the browser.
 */
export async function saveMyLanguage(lang) {
  try {
    return await request("PATCH", "/members/me", { body: { language: lang } });
  } catch (error) {
    if (error.status === 404 || error.status === 422 || error.status === 403) return null;
    throw error;
  }
}

// ---- Catalog tools: ISBN lookup, covers, duplicates and merging. ----

/** A prefilled book from the book databases: {isbn, provider, source_url, book, cover}; 404 unknown, 503 unreachable. */
export const lookupIsbn = (isbn, opts) => request("GET", `/lookup/isbn/${id(isbn)}`, opts);
/** Store a cover image (a File or Blob: JPEG, PNG or WebP): resolves to {id, list, detail, width, height}. */
export const uploadCover = (file, opts) => request("POST", "/covers", { ...opts, file });
export const listDuplicates = (params, opts) => request("GET", "/duplicates", { ...opts, params });
/** Merge the books `fromIds` into `bookId`; resolves to the surviving book. */
export const mergeBooks = (bookId, fromIds, opts) => request("POST", `/books/${id(bookId)}/merge`, { ...opts, body: { from: fromIds } });

// ---- Accounts: the session, the signed-in user's password and API tokens, and (admins) users. ----

const VISITOR = Object.freeze({ user: null, member: null, csrf_token: null });

/**
 * Who is here: {user, member, csrf_token, via, scopes}. A visitor gets user, member and csrf_token null (the
 * server answers 200, so a page load logs no error); member is the user's library card ({id, status}) or null.
 */
export async function getMe(opts) {
  try {
    const me = await request("GET", "/auth/me", { ...opts, on401: "throw" });
    setCsrfToken(me?.csrf_token);
    return me?.user ? me : VISITOR;
  } catch (error) {
    if (error.status !== 401) throw error; // an invalid bearer token: also nobody
    setCsrfToken(null);
    return VISITOR;
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
export const createToken = (body, opts) => request("POST", "/tokens", { ...opts, body, idempotent: true });
export const deleteToken = (tokenId, opts) => request("DELETE", `/tokens/${id(tokenId)}`, opts);

// ---- Password links, "Forgot your password?" and signing up (anyone may call these). ----

/** "Forgot your password?": the same answer whether or not an account has this email. */
export const requestPasswordReset = (email, opts) => request("POST", "/auth/reset-requests", { ...opts, body: { email } });
/** What a one-time password link is for ({email, display_name, purpose, expires_at}); a 404 says why it is not valid. */
export const checkPasswordLink = (token, opts) => request("POST", "/auth/reset-link", { ...opts, body: { token } });

/** Set a password with a one-time link: the answer is a new session, like a login's. */
export async function setPasswordWithLink(token, newPassword, opts) {
  const answer = await request("POST", "/auth/reset-password", { ...opts, body: { token, new_password: newPassword } });
  setCsrfToken(answer?.csrf_token);
  return answer;
}

/** Sign up for a library card ({name, email, password, phone}); the same answer whether or not the email is taken. */
export const signUp = (body, opts) => request("POST", "/auth/register", { ...opts, body });

export const listUsers = (params, opts) => request("GET", "/users", { ...opts, params });
export const getUser = (userId, opts) => request("GET", `/users/${id(userId)}`, opts);
export const createUser = (body, opts) => request("POST", "/users", { ...opts, body, idempotent: true });
export const updateUser = (userId, body, opts) => request("PATCH", `/users/${id(userId)}`, { ...opts, body });
/** A one-time link for a user to set a new password, {url, purpose, expires_at}: it replaces their last one. */
export const makeResetLink = (userId, opts) => request("POST", `/users/${id(userId)}/reset-link`, { ...opts, idempotent: true });

export const getSettings = (opts) => request("GET", "/settings", opts);
export const updateSettings = (body, opts) => request("PATCH", "/settings", { ...opts, body });
export const listAudit = (params, opts) => request("GET", "/audit", { ...opts, params });

// ---- Circulation: copies, members, loans, holds, reports and the member's own calendar feed. ----

export const listCopies = (bookId, params, opts) => request("GET", `/books/${id(bookId)}/copies`, { ...opts, params });
export const createCopy = (bookId, body, opts) =>
  request("POST", `/books/${id(bookId)}/copies`, { ...opts, body, idempotent: true });
export const updateCopy = (copyId, body, opts) => request("PATCH", `/copies/${id(copyId)}`, { ...opts, body });

export const listMembers = (params, opts) => request("GET", "/members", { ...opts, params });
export const getMember = (memberId, opts) => request("GET", `/members/${id(memberId)}`, opts);
export const createMember = (body, opts) => request("POST", "/members", { ...opts, body, idempotent: true });
export const updateMember = (memberId, body, opts) => request("PATCH", `/members/${id(memberId)}`, { ...opts, body });
/** The library card of the signed-in user; rejects with a 404 ApiError when they have none (getMe's member says
 * whether there is one, so ask only then). */
export const getMyMember = (opts) => request("GET", "/members/me", opts);
export const getMyCalendar = (opts) => request("GET", "/members/me/calendar", opts);
/** Change your own contact details on your card: {email?, phone?}. */
export const updateMyContact = (body, opts) => request("PATCH", "/members/me", { ...opts, body });
/** Ask for a card for your account ({name, phone}); it waits for staff approval. */
export const applyForCard = (body, opts) => request("POST", "/members/me", { ...opts, body, idempotent: true });
/** Give a card a new account: {email} (the answer has a password link) or {email, temporary_password}. */
export const giveMemberLogin = (memberId, body, opts) => request("POST", `/members/${id(memberId)}/login`, { ...opts, body, idempotent: true });
/** A one-time link for a member's account to set its password. */
export const makeMemberPasswordLink = (memberId, opts) => request("POST", `/members/${id(memberId)}/password-link`, { ...opts, idempotent: true });
export const approveMember = (memberId, cardNumber, opts) =>
  request("POST", `/members/${id(memberId)}/approve`, { ...opts, body: { card_number: cardNumber }, idempotent: true });
export const rejectMember = (memberId, opts) => request("POST", `/members/${id(memberId)}/reject`, { ...opts, idempotent: true });
export const resetMyCalendar = (opts) => request("POST", "/members/me/calendar", opts);

export const listLoans = (params, opts) => request("GET", "/loans", { ...opts, params });
/** Check a copy out: {barcode, card_number} or {barcode, member_id}. */
export const checkOut = (body, opts) => request("POST", "/loans", { ...opts, body, idempotent: true });
/** The desk's return by barcode: resolves to {loan, hold} (hold: the hold the copy now goes to, or null). */
export const returnByBarcode = (barcode, opts) =>
  request("POST", "/returns", { ...opts, body: { barcode }, idempotent: true });
export const returnLoan = (loanId, opts) => request("POST", `/loans/${id(loanId)}/return`, { ...opts, idempotent: true });
export const renewLoan = (loanId, opts) => request("POST", `/loans/${id(loanId)}/renew`, { ...opts, idempotent: true });

export const listHolds = (params, opts) => request("GET", "/holds", { ...opts, params });
/** {book_id} for oneself, or {book_id, card_number | member_id} for staff placing it for a member. */
export const placeHold = (body, opts) => request("POST", "/holds", { ...opts, body, idempotent: true });
export const cancelHold = (holdId, opts) => request("DELETE", `/holds/${id(holdId)}`, opts);

export const getLoanRules = (opts) => request("GET", "/loan-rules", opts);
/** The overdue report as a CSV download: a plain link, the session cookie goes with it. */
export const OVERDUE_CSV_URL = apiUrl("/reports/overdue.csv");

// ---- Catalog imports (MARC, CSV) and exports. ----

export const listImports = (params, opts) => request("GET", "/imports", { ...opts, params });
/** {running, last_seen_at, queued}: whether a background worker is there to run queued jobs. */
export const getWorkerStatus = (opts) => request("GET", "/worker", opts);
export const getImport = (importId, opts) => request("GET", `/imports/${id(importId)}`, opts);
/** Start (again) the dry run; a CSV file's preview takes {mapping: {fields: [...], separator}}. */
export const previewImport = (importId, body, opts) => request("POST", `/imports/${id(importId)}/preview`, { ...opts, body });
export const commitImport = (importId, policy, opts) =>
  request("POST", `/imports/${id(importId)}/commit`, { ...opts, body: { policy } });
export const cancelImport = (importId, opts) => request("POST", `/imports/${id(importId)}/cancel`, opts);
export const deleteImport = (importId, opts) => request("DELETE", `/imports/${id(importId)}`, opts);
/** The rejected records of an import, as a download link (the session cookie goes with it). */
export const rejectedRecordsUrl = (importId) => apiUrl(`/imports/${id(importId)}/rejected`);
/** An export of the books a list's filters find: format csv, mrc, xml or json. */
export const exportUrl = (format, params = {}) => apiUrl(`/exports/books.${encodeURIComponent(format)}`, params);

/** The upload's content type by file name, else what the browser says (the server recognises the content). */
export function uploadType(file) {
  const name = String(file?.name ?? "").toLowerCase();
  if (/\.(mrc|marc|iso|dat)$/.test(name)) return "application/marc";
  if (/\.(xml|marcxml)$/.test(name)) return "application/marcxml+xml";
  if (/\.(csv|tsv|txt)$/.test(name)) return "text/csv";
  return "application/octet-stream";
}

/**
 * Upload a file to import, as the request body itself (not a form), with progress: onProgress(loaded, total).
 * XMLHttpRequest, because fetch() cannot report how much of a request body has been sent. Resolves to the new
 * import; rejects with an ApiError like request() (and the AbortError when `signal` aborts).
 */
export function uploadImport(file, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", apiUrl("/imports", { filename: file.name }));
    xhr.setRequestHeader("Content-Type", uploadType(file));
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    xhr.setRequestHeader("Accept-Language", currentLocale());
    if (csrfToken) xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.responseType = "text";
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onerror = () => reject(new ApiError({ status: 0, title: t(FALLBACK_TITLES[0]), // i18n: FALLBACK_TITLES
      detail: t("The upload did not reach the server. Check your connection and try again.") }));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      const problem = data && typeof data === "object" ? data : {};
      const error = new ApiError({
        status: xhr.status, title: problem.title || fallbackTitle(xhr.status),
        detail: typeof problem.detail === "string" ? problem.detail : "", errors: problem.errors,
      });
      if (xhr.status === 401) unauthorizedHandler?.(error, { method: "POST", path: "/imports" });
      reject(error);
    };
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

// ---- The desk's lists and actions: pull list, hold shelf, capture and clear, member lookup, barcodes. ----

export const listPullList = (params, opts) => request("GET", "/pull-list", { ...opts, params });
export const listHoldShelf = (params, opts) => request("GET", "/hold-shelf", { ...opts, params });
/** A pulled copy onto the hold shelf: resolves to the Hold it now waits for. */
export const captureHold = (barcode, opts) => request("POST", "/holds/capture", { ...opts, body: { barcode } });
/** Clear a hold past its pickup date: {cleared, hold (the next in line, or null), copy}. */
export const clearHold = (holdId, opts) => request("POST", `/holds/${id(holdId)}/clear`, opts);
/** Members for the desk's card field: a card number in any case, or words of a name; best match first. */
export const lookupMembers = (q, params, opts) => request("GET", "/members/lookup", { ...opts, params: { ...params, q } });
/** Reserve the next automatic barcode ("copy") or card number ("card"): {kind, barcode}. */
export const reserveBarcode = (kind, opts) => request("POST", "/barcodes/next", { ...opts, body: { kind } });

export const findCopies = (params, opts) => request("GET", "/copies", { ...opts, params });
export const deleteCopy = (copyId, opts) => request("DELETE", `/copies/${id(copyId)}`, opts);
export const listArchivedBooks = (params, opts) => request("GET", "/books/archived", { ...opts, params });
export const archiveBook = (bookId, opts) => request("POST", `/books/${id(bookId)}/archive`, opts);
export const restoreBook = (bookId, opts) => request("POST", `/books/${id(bookId)}/restore`, opts);

export const listAuthors = (params, opts) => request("GET", "/authors", { ...opts, params });
export const updateAuthor = (authorId, body, opts) => request("PATCH", `/authors/${id(authorId)}`, { ...opts, body });
/** Merge the author duplicateId into authorId (the survivor): resolves to the survivor. */
export const mergeAuthors = (authorId, duplicateId, opts) =>
  request("POST", `/authors/${id(authorId)}/merge`, { ...opts, body: { duplicate_id: Number(duplicateId) } });

export const listLabelSheets = (opts) => request("GET", "/labels/sheets", opts);

/**
 * The address of a CSV or PDF the browser downloads itself (a plain link: the session cookie goes with it).
 * Array values repeat the parameter (copy_id=1&copy_id=2).
 */
export function downloadUrl(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of [].concat(value)) {
      if (item === null || item === undefined || item === "" || item === false) continue;
      search.append(key, String(item));
    }
  }
  const query = search.toString();
  return `${API_BASE}${path}${query ? `?${query}` : ""}`;
}

// ---- Notices: the member's own e-mail choices; the outbox log and mail server (staff); templates (admins). ----

/** {email, kinds: [{kind, label, enabled, locked, locked_reason}]}; 404 without a library card. */
export const getMyNoticeChoices = (opts) => request("GET", "/members/me/notices", opts);
/** {hold_ready?, due_soon?, overdue?}: booleans; 409 turning hold-ready off while a hold is open. */
export const updateMyNoticeChoices = (body, opts) => request("PATCH", "/members/me/notices", { ...opts, body });
export const listNotices = (params, opts) => request("GET", "/notices", { ...opts, params });
export const getNotice = (noticeId, opts) => request("GET", `/notices/${id(noticeId)}`, opts);
export const resendNotice = (noticeId, opts) => request("POST", `/notices/${id(noticeId)}/resend`, opts);
export const getNoticeStatus = (opts) => request("GET", "/notices/status", opts);
export const listNoticeTemplates = (opts) => request("GET", "/notice-templates", opts);
// Each kind has a template per language (en, fr, es; English when none is given).
export const getNoticeTemplate = (kind, language, opts) =>
  request("GET", `/notice-templates/${id(kind)}`, { ...opts, params: { language } });
/** Save {subject, body_text, body_html}; a template that does not render is a 422 with messages per part. */
export const saveNoticeTemplate = (kind, language, body, opts) =>
  request("PUT", `/notice-templates/${id(kind)}`, { ...opts, params: { language }, body });
export const resetNoticeTemplate = (kind, language, opts) =>
  request("DELETE", `/notice-templates/${id(kind)}`, { ...opts, params: { language } });
export const previewNoticeTemplate = (kind, language, body, opts) =>
  request("POST", `/notice-templates/${id(kind)}/preview`, { ...opts, params: { language }, body });

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
