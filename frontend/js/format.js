// Small formatting helpers shared by the views. Pure: no DOM, no globals beyond Intl. Dates, numbers and lists
// follow the language in use (i18n.js currentLocale()) unless a locale is given.

import { currentLocale } from "./i18n.js";

/** The locale for dates: British English for English ("27 November 2026"), else the language itself. */
export function dateLocale() {
  const locale = currentLocale();
  return locale === "en" ? "en-GB" : locale;
}

/** "1 book", "2 books"; the plural is the noun plus "s" unless given. */
export function countLabel(n, singular, plural = `${singular}s`) {
  const count = Number(n) || 0;
  return `${count.toLocaleString(currentLocale())} ${count === 1 ? singular : plural}`;
}

/** ["A", "B", "C"] -> "A, B, and C" (Intl.ListFormat conjunction). */
export function listText(items, locale = currentLocale()) {
  const names = items.filter(Boolean);
  if (names.length === 0) return "";
  try {
    return new Intl.ListFormat(locale, { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}

/** A book's author names as one line, or "" when it has none. */
export function authorLine(authors, locale = currentLocale()) {
  return listText((authors ?? []).map((a) => a.name), locale);
}

/** 12345 -> "12,345" in the locale's digits and separators (0 for missing input). */
export function formatNumber(n, locale = "en") {
  return new Intl.NumberFormat(locale).format(Number(n) || 0);
}

/** 12.5 (a percentage) -> "13%" in the locale's way ("13 %" in French). */
export function formatPercent(value, locale = "en") {
  return new Intl.NumberFormat(locale, { style: "percent" }).format((Number(value) || 0) / 100);
}

/** "2026-11-27T12:00:00+00:00" -> "27 November 2026" (or "" for missing/invalid input). */
export function formatDate(iso, locale = dateLocale()) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(date);
}

/** "2026-11-27T14:05:00+00:00" -> "27 November 2026, 14:05 UTC" (or "" for missing/invalid input). */
export function formatDateTime(iso, locale = dateLocale()) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const day = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(date);
  const time = new Intl.DateTimeFormat(locale, { timeStyle: "short", hourCycle: "h23", timeZone: "UTC" }).format(date);
  return `${day}, ${time} UTC`;
}

/** "Title: Subtitle" for headings and messages. */
export function fullTitle(book) {
  if (!book) return "";
  return book.subtitle ? `${book.title}: ${book.subtitle}` : book.title;
}

/**
 * Intl.ListFormat parts for n items, so a view can put links where the names go:
 * listParts(["A", "B", "C"]) -> [{type:"element", index:0}, {type:"literal", value:", "}, ...].
 */
export function listParts(items, locale = currentLocale()) {
  let parts;
  try {
    parts = new Intl.ListFormat(locale, { style: "long", type: "conjunction" }).formatToParts(items.map(String));
  } catch {
    parts = items.flatMap((item, i) => (i ? [{ type: "literal", value: ", " }, { type: "element", value: item }] : [{ type: "element", value: item }]));
  }
  let index = 0;
  return parts.map((part) => (part.type === "element" ? { type: "element", value: part.value, index: index++ } : { type: "literal", value: part.value }));
}

/** The cover URL if the page may load it (https only, as the CSP allows), else null. */
export function safeImageUrl(url) {
  if (!url) return null;
  try {
    const parsed = new URL(String(url));
    return parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Split a description into paragraphs on blank lines. */
export function paragraphs(text) {
  return String(text ?? "")
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The document title: "<page> · <library name>", or the library's name alone for a page without a heading. */
export function pageTitle(heading, libraryName) {
  const page = String(heading ?? "").trim();
  const site = String(libraryName ?? "").trim() || "Library";
  return page && page !== site ? `${page} · ${site}` : site;
}
