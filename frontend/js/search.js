// Search as pure functions: which words of a q to highlight (and where they are in a text), which
// filter a facet value stands for, and the active filters as removable chips. No DOM here, so
// node --test covers it; views/books.js turns the segments into text nodes and <mark> elements.
//
// The q syntax is the API's (GET /api/v1/books): every word must match, case- and accent-insensitively;
// "a phrase" in quotes; -word and -"a phrase" exclude; the last word, when q does not end in
// whitespace and that word is neither quoted nor excluded, matches as a prefix.

import { languageName } from "./languages.js";

const WORD = /[\p{L}\p{N}]+/gu;
const ISBN_LIKE = /^[\dXx\s-]+$/;

/** Lower case without accents, as the search index sees words: "Émile" -> "emile", "ﬁn" -> "fin". */
export function fold(text) {
  return String(text ?? "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** True when q has at least one word (a q like "***" is the same as no q for the API). */
export function hasWords(q) {
  return /[\p{L}\p{N}]/u.test(String(q ?? ""));
}

/** A whole q that is an ISBN (10 or 13 digits, hyphens and spaces allowed) finds that book: no words to mark. */
export function isIsbnQuery(q) {
  const text = String(q ?? "").trim();
  if (!ISBN_LIKE.test(text)) return false;
  const digits = text.replace(/[\s-]/g, "");
  return /^(\d{9}[\dXx]|\d{13})$/.test(digits);
}

/**
 * The words of q that a result matched, as [{ word, prefix }] (folded, without duplicates):
 * 'Dune -messiah "the sand" drag' -> dune, the, sand, drag (prefix). Excluded words are left out.
 * Parsed as the API parses q (services/search.py): a clause is -?"a phrase" (the closing quote may be
 * missing) or a run of non-space characters, -word excludes, clauses without letters or digits do
 * not count, and the last clause is a prefix unless it is a phrase or excluded, or q ends in
 * whitespace or a quote.
 */
export function searchTerms(q) {
  const text = String(q ?? "");
  if (!hasWords(text) || isIsbnQuery(text)) return [];
  const clauses = [];
  for (const [, minus, quoted, bare] of text.matchAll(/(-?)"([^"]*)"?|(\S+)/g)) {
    const clause = bare !== undefined
      ? { words: fold(bare.replace(/^-+/, "")).match(WORD) ?? [], phrase: false, negated: bare.startsWith("-") }
      : { words: fold(quoted).match(WORD) ?? [], phrase: true, negated: minus === "-" };
    if (clause.words.length) clauses.push(clause);
  }
  const last = clauses[clauses.length - 1];
  const prefixLast = last && !last.phrase && !last.negated && !/\s$/.test(text) && !text.trimEnd().endsWith('"');
  const terms = new Map(); // word -> prefix (an exact match wins over a prefix one)
  for (const clause of clauses) {
    if (clause.negated) continue;
    clause.words.forEach((word, i) => {
      const prefix = prefixLast && clause === last && i === clause.words.length - 1;
      if (!terms.has(word) || terms.get(word)) terms.set(word, prefix);
    });
  }
  return [...terms].map(([word, prefix]) => ({ word, prefix }));
}

/**
 * Split text into [{ text, match }] segments, where match marks the parts the terms matched: whole
 * words for exact terms, the start of a word for a prefix term. Case and accents are ignored, and
 * the segments' text is the original's, so "Émile" stays "Émile" inside its mark.
 */
export function highlightSegments(text, terms) {
  const source = String(text ?? "");
  if (source === "") return [];
  if (!terms?.length) return [{ text: source, match: false }];
  // Fold the text one character at a time, remembering where each folded character came from.
  let folded = "";
  const origin = []; // folded index -> [start, end) of its character in source
  for (let i = 0; i < source.length;) {
    const char = String.fromCodePoint(source.codePointAt(i));
    const f = fold(char);
    for (let k = 0; k < f.length; k += 1) origin.push([i, i + char.length]);
    // A combining accent folds to nothing: it belongs to the character before it.
    if (f === "" && origin.length > 0) origin[origin.length - 1][1] = i + char.length;
    folded += f;
    i += char.length;
  }
  const exact = new Set(terms.filter((t) => !t.prefix).map((t) => t.word));
  const prefixes = terms.filter((t) => t.prefix).map((t) => t.word);
  const ranges = []; // [start, end) in source
  for (const found of folded.matchAll(WORD)) {
    const word = found[0];
    let length = 0;
    if (exact.has(word)) length = word.length;
    for (const p of prefixes) if (word.startsWith(p)) length = Math.max(length, p.length);
    if (length === 0) continue;
    const start = origin[found.index][0];
    const end = origin[found.index + length - 1][1];
    const previous = ranges[ranges.length - 1];
    if (previous && previous[1] >= start) previous[1] = Math.max(previous[1], end);
    else ranges.push([start, end]);
  }
  const segments = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) segments.push({ text: source.slice(at, start), match: false });
    segments.push({ text: source.slice(start, end), match: true });
    at = end;
  }
  if (at < source.length) segments.push({ text: source.slice(at), match: false });
  return segments;
}

// ---- Facets and filters ----

/** The facets the list asks for when a q or a filter is set, and how many values of each. */
export const FACETS = Object.freeze(["subject", "language", "author", "decade"]);
export const FACET_LIMIT = 8;
export const FACET_TITLES = Object.freeze({ subject: "Subject", language: "Language", author: "Author", decade: "Published" });

/** The list-state changes that filter by a facet value (decade 1960 -> year_from 1960, year_to 1969). */
export function facetFilter(facet, value) {
  switch (facet) {
    case "subject":
      return { subject: String(value) };
    case "language":
      return { language: String(value).toLowerCase() };
    case "author":
      return { author: Number(value) };
    case "decade":
      return { year_from: Number(value), year_to: Number(value) + 9 };
    default:
      return null;
  }
}

/** True when the state already filters by this facet value. */
export function isFacetActive(state, facet, value) {
  const changes = facetFilter(facet, value);
  return changes !== null && Object.entries(changes).every(([key, v]) => state[key] === v);
}

/** The changes for a click on a facet value: filter by it, or remove that filter when it is on. */
export function toggleFacet(state, facet, value) {
  const changes = facetFilter(facet, value);
  if (!isFacetActive(state, facet, value)) return changes;
  return Object.fromEntries(Object.keys(changes).map((key) => [key, key === "subject" || key === "language" ? "" : null]));
}

/** "1960s" for year_from 1960 and year_to 1969, "1950–1970", "from 1950", "until 1970"; "" without years. */
export function yearsLabel(yearFrom, yearTo) {
  const from = yearFrom ?? null;
  const to = yearTo ?? null;
  if (from !== null && to !== null) {
    if (from % 10 === 0 && to === from + 9) return `${from}s`;
    return from === to ? String(from) : `${from}–${to}`;
  }
  if (from !== null) return `from ${from}`;
  if (to !== null) return `until ${to}`;
  return "";
}

/**
 * The filters the state applies, as chips: [{ key, name, value, changes }] where `changes` removes it.
 * authorName(id) names the author filter (e.g. from the author facet); "Author #7" without one.
 */
export function activeFilters(state, { authorName = () => null } = {}) {
  const chips = [];
  if (state.subject) chips.push({ key: "subject", name: "Subject", value: state.subject, changes: { subject: "" } });
  if (state.language) {
    chips.push({ key: "language", name: "Language", value: languageName(state.language) || state.language, changes: { language: "" } });
  }
  if (state.author) {
    chips.push({ key: "author", name: "Author", value: authorName(state.author) || `#${state.author}`, changes: { author: null } });
  }
  const years = yearsLabel(state.year_from, state.year_to);
  if (years) chips.push({ key: "years", name: "Published", value: years, changes: { year_from: null, year_to: null } });
  if (state.available) chips.push({ key: "available", name: "Availability", value: "Available now", changes: { available: false } });
  return chips;
}

/** How many of the filter panel's filters are set (subject, language, years, available; the author is not in it). */
export function panelFilterCount(state) {
  return activeFilters(state).filter((chip) => chip.key !== "author").length;
}

/** The name of author `id` from a page of results: the author facet's label, else a listed book's author. */
export function findAuthorName(envelope, id) {
  const wanted = Number(id);
  const facet = envelope?.facets?.author?.find((f) => Number(f.value) === wanted);
  if (facet) return facet.label;
  for (const book of envelope?.items ?? []) {
    const author = book.authors?.find((a) => a.id === wanted);
    if (author) return author.name;
  }
  return null;
}
