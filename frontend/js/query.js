// The book list's state lives in the URL hash. These pure functions turn a parsed hash query into
// a normalised state, that state into API parameters and back into a canonical hash, and
// a page envelope into the numbers the pager shows.

import { buildHash } from "./router.js";
import { FACETS, FACET_LIMIT, hasWords } from "./search.js";
import { currentLocale, msg, t, tn } from "./i18n.js";

export const SORT_OPTIONS = Object.freeze([
  { value: "relevance", label: msg("Relevance") },
  { value: "title", label: msg("Title (A–Z)") },
  { value: "-title", label: msg("Title (Z–A)") },
  { value: "author", label: msg("Author (A–Z)") },
  { value: "-published_year", label: msg("Newest published") },
  { value: "published_year", label: msg("Oldest published") },
  { value: "-created_at", label: msg("Recently added") },
  { value: "created_at", label: msg("First added") },
]);

export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 100;
/** The API's page mode stops here ((page-1)*per_page < 10000); deeper pages need a cursor. */
export const MAX_PAGE_OFFSET = 10000;

export const LIST_DEFAULTS = Object.freeze({ sort: "title", available: false, page: 1, per_page: DEFAULT_PER_PAGE });

const SORTS = new Set(SORT_OPTIONS.map((o) => o.value));

/** The sort a list gets when the URL names none: relevance for a search with words, else title. */
export function defaultSort(q) {
  return hasWords(q) ? "relevance" : LIST_DEFAULTS.sort;
}

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

/** An opaque cursor from the API (next_cursor), or "" when the value cannot be one. */
export function toCursor(value) {
  const text = typeof value === "string" ? value.trim() : "";
  return text.length <= 1000 && !/[\s\u0000-\u001f]/.test(text) ? text : "";
}

/** Normalise a parsed hash query into the list state; unknown keys are ignored. */
export function listState(query = {}) {
  const text = (v) => (typeof v === "string" ? v.trim() : "");
  const q = text(query.q);
  // relevance without words in q is title for the API too; show what it does.
  const sort = SORTS.has(query.sort) && !(query.sort === "relevance" && !hasWords(q)) ? query.sort : defaultSort(q);
  return {
    q,
    subject: text(query.subject),
    language: text(query.language).toLowerCase(),
    author: toPositiveInt(query.author, null),
    sort,
    year_from: toYear(query.year_from),
    year_to: toYear(query.year_to),
    available: query.available === "true" || query.available === "1",
    page: toPositiveInt(query.page, 1),
    per_page: toPositiveInt(query.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE),
    cursor: toCursor(query.cursor),
  };
}

/**
 * The GET /api/v1/books parameters for a list state (empty filters left out). With a cursor the
 * page number is only for display: the cursor says where the page starts. A search or a filter
 * also asks for the facets, to narrow it down further.
 */
export function listApiParams(state) {
  const params = {};
  for (const [key, value] of Object.entries(state)) {
    if (value === null || value === undefined || value === "" || value === false) continue;
    params[key] = value;
  }
  if (params.cursor) delete params.page;
  if (isFiltered(state)) {
    params.facets = FACETS.join(",");
    params.facet_limit = FACET_LIMIT;
  }
  return params;
}

/**
 * The canonical hash for a list state; `changes` override it. Changing anything but the page goes
 * back to page 1, and any change drops the cursor unless it comes with one (a cursor belongs to
 * one page of one search).
 */
export function listHash(state, changes = {}) {
  const next = { ...state, ...changes };
  const filterChanged = Object.keys(changes).some((k) => k !== "page" && k !== "cursor");
  if (filterChanged && !("page" in changes)) next.page = 1;
  if (Object.keys(changes).length > 0 && !("cursor" in changes)) next.cursor = "";
  if (next.sort === "relevance" && !hasWords(next.q)) next.sort = LIST_DEFAULTS.sort;
  return buildHash("/books", next, { ...LIST_DEFAULTS, sort: defaultSort(next.q) });
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

/**
 * The pager's links for a page of the list: { prev, next } hashes, or null where there is none.
 * Next follows the API's next_cursor (the cursor and the page number it leads to go in the hash);
 * previous is the page number before, as long as the API's page mode reaches it. An answer without
 * a next_cursor field falls back to page numbers.
 */
export function pagerLinks(state, envelope) {
  const info = pageInfo({ total: envelope.total, page: state.page, per_page: state.per_page });
  let prev = null;
  if (info.prev && (info.prev - 1) * state.per_page < MAX_PAGE_OFFSET) prev = listHash(state, { page: info.prev });
  let next = null;
  if ("next_cursor" in envelope) {
    if (envelope.next_cursor && envelope.items?.length) next = listHash(state, { page: state.page + 1, cursor: envelope.next_cursor });
  } else if (info.next) {
    next = listHash(state, { page: info.next });
  }
  return { prev, next };
}

/** True when the state filters the catalog in any way (used for the empty-state message). */
export function isFiltered(state) {
  return Boolean(
    state.q || state.subject || state.language || state.author || state.available ||
    (state.year_from ?? null) !== null || (state.year_to ?? null) !== null,
  );
}

// The words of a results heading for each kind of list, written out so each is a message of its own (other
// languages do not make plurals or capitals the English way).
function summaryWords(noun) {
  switch (noun) {
    case "user":
      return { none: t("No users"), outOfRange: t("No users on page {page}"), count: (n) => tn(n, "{count} user", "{count} users"),
        range: t("Users {first}–{last} of {total}"), rangeAbout: t("Users {first}–{last} of about {total}") };
    case "member":
      return { none: t("No members"), outOfRange: t("No members on page {page}"), count: (n) => tn(n, "{count} member", "{count} members"),
        range: t("Members {first}–{last} of {total}"), rangeAbout: t("Members {first}–{last} of about {total}") };
    case "event":
      return { none: t("No events"), outOfRange: t("No events on page {page}"), count: (n) => tn(n, "{count} event", "{count} events"),
        range: t("Events {first}–{last} of {total}"), rangeAbout: t("Events {first}–{last} of about {total}") };
    default:
      return { none: t("No books"), outOfRange: t("No books on page {page}"), count: (n) => tn(n, "{count} book", "{count} books"),
        range: t("Books {first}–{last} of {total}"), rangeAbout: t("Books {first}–{last} of about {total}") };
  }
}

/**
 * "Books 21–40 of 57", "3 books" or "No books" for a results heading, from pageInfo(); with
 * `estimate` (the API's total_is_estimate) the total reads "about 12,000". `noun`: book, user, member or event.
 */
export function resultsSummary(info, noun = "book", { estimate = false } = {}) {
  const words = summaryWords(noun);
  const number = (n) => n.toLocaleString(currentLocale());
  if (info.total === 0) return words.none;
  if (info.outOfRange) return fill(words.outOfRange, { page: number(info.page) });
  if (info.total <= info.last - info.first + 1 && !estimate) return words.count(info.total);
  return fill(estimate ? words.rangeAbout : words.range, { first: number(info.first), last: number(info.last), total: number(info.total) });
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? params[name] : whole));
}
