// The book list's state lives in the URL hash. These pure functions turn a parsed hash query into
// a normalised state, that state into API parameters and back into a canonical hash, and
// a page envelope into the numbers the pager shows.

import { buildHash } from "./router.js";

export const SORT_OPTIONS = Object.freeze([
  { value: "title", label: "Title (A–Z)" },
  { value: "-title", label: "Title (Z–A)" },
  { value: "author", label: "Author (A–Z)" },
  { value: "-published_year", label: "Newest published" },
  { value: "published_year", label: "Oldest published" },
  { value: "-created_at", label: "Recently added" },
  { value: "created_at", label: "First added" },
]);

export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 100;

export const LIST_DEFAULTS = Object.freeze({ sort: "title", available: false, page: 1, per_page: DEFAULT_PER_PAGE });

const SORTS = new Set(SORT_OPTIONS.map((o) => o.value));

/** A positive integer from a string, or the fallback when it is not one. */
export function toPositiveInt(value, fallback, max = Number.MAX_SAFE_INTEGER) {
  const text = String(value ?? "").trim();
  if (!/^\d+$/.test(text)) return fallback;
  const n = Number(text);
  if (n < 1) return fallback;
  return Math.min(n, max);
}

/** A year (may be 0..9999, no sign), or null. */
export function toYear(value) {
  const text = String(value ?? "").trim();
  if (!/^\d{1,4}$/.test(text)) return null;
  return Number(text);
}

/** Normalise a parsed hash query into the list state; unknown keys are ignored. */
export function listState(query = {}) {
  const text = (v) => (typeof v === "string" ? v.trim() : "");
  return {
    q: text(query.q),
    subject: text(query.subject),
    language: text(query.language).toLowerCase(),
    sort: SORTS.has(query.sort) ? query.sort : LIST_DEFAULTS.sort,
    year_from: toYear(query.year_from),
    year_to: toYear(query.year_to),
    available: query.available === "true" || query.available === "1",
    page: toPositiveInt(query.page, 1),
    per_page: toPositiveInt(query.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE),
  };
}

/** The GET /api/v1/books parameters for a list state (empty filters left out). */
export function listApiParams(state) {
  const params = {};
  for (const [key, value] of Object.entries(state)) {
    if (value === null || value === undefined || value === "" || value === false) continue;
    params[key] = value;
  }
  return params;
}

/** The canonical hash for a list state; `changes` override it (filters reset the page to 1). */
export function listHash(state, changes = {}) {
  const next = { ...state, ...changes };
  const filterChanged = Object.keys(changes).some((k) => k !== "page");
  if (filterChanged && !("page" in changes)) next.page = 1;
  return buildHash("/books", next, LIST_DEFAULTS);
}

/** Turn a page envelope into what the pager needs: pages, item range, prev/next pages. */
export function pageInfo({ total = 0, page = 1, per_page = DEFAULT_PER_PAGE } = {}) {
  const size = Math.max(1, Number(per_page) || DEFAULT_PER_PAGE);
  const count = Math.max(0, Number(total) || 0);
  const pages = Math.max(1, Math.ceil(count / size));
  const current = Math.max(1, Number(page) || 1);
  const outOfRange = (current - 1) * size >= count;
  const first = outOfRange ? 0 : (current - 1) * size + 1;
  const last = outOfRange ? 0 : Math.min(count, current * size);
  return {
    total: count,
    page: current,
    pages,
    first,
    last,
    outOfRange: count > 0 && outOfRange,
    prev: current > 1 ? Math.min(current - 1, pages) : null,
    next: current < pages ? current + 1 : null,
  };
}

/** True when the state filters the catalog in any way (used for the empty-state message). */
export function isFiltered(state) {
  return Boolean(state.q || state.subject || state.language || state.available || state.year_from !== null || state.year_to !== null);
}

/** "Books 21–40 of 57", "3 books" or "No books" for a results heading, from pageInfo(). */
export function resultsSummary(info, noun = "book") {
  const plural = `${noun}s`;
  if (info.total === 0) return `No ${plural}`;
  if (info.outOfRange) return `No ${plural} on page ${info.page.toLocaleString("en")}`;
  if (info.total <= info.last - info.first + 1) {
    return info.total === 1 ? `1 ${noun}` : `${info.total.toLocaleString("en")} ${plural}`;
  }
  return `${cap(plural)} ${info.first.toLocaleString("en")}–${info.last.toLocaleString("en")} of ${info.total.toLocaleString("en")}`;
}

function cap(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
