// Every user-visible word of the app goes through t() (or tn() for a count), so the app can be translated.
// The English text is the message's key; a language's catalog maps it to the translation, and a missing
// entry falls back to the English text. Placeholders are {name}: t("Due {date}", { date }).
// Pure (no DOM), so node --test covers it.

let catalog = {};
let locale = "en";

/** The languages the app speaks, with their names in themselves (for the language picker). */
export const LANGUAGES = Object.freeze({ en: "English", fr: "Français", es: "Español" });

/** The language in use ("en", "fr" ...), for Intl formatters. */
export function currentLocale() {
  return locale;
}

/** Use a loaded catalog ({english: translation}) for `lang`; an empty catalog means English. */
export function setCatalog(lang, messages = {}) {
  locale = lang;
  catalog = messages && typeof messages === "object" ? messages : {};
}

function fill(text, params) {
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * Marks an English label written away from its t() call (a map from an API code to its label), so the key check
 * (i18n-keys.mjs) finds it; the label is translated where it is shown, with t(label).
 */
export function msg(text) {
  return text;
}

/** The translation of an English message, with {placeholders} filled in from params. */
export function t(text, params = {}) {
  const found = catalog[text];
  return fill(typeof found === "string" ? found : text, params);
}

/**
 * A message that depends on a count: tn(n, "{count} copy", "{count} copies"). The catalog's entry (keyed by
 * the plural English form) holds the language's plural categories, e.g. {"one": "…", "other": "…"}, chosen
 * with Intl.PluralRules. {count} is the number formatted for the language.
 */
export function tn(count, one, other, params = {}) {
  const n = Number(count) || 0;
  const entry = catalog[other];
  let text;
  if (entry && typeof entry === "object") {
    const category = new Intl.PluralRules(locale).select(n);
    text = entry[category] ?? entry.other ?? other; // e.g. "many" (1 000 000 in French) falls back to "other"
  } else {
    text = n === 1 ? one : other;
  }
  return fill(text, { count: n.toLocaleString(locale), ...params });
}

/**
 * The language to use: the user's remembered choice, else the first of the browser's languages the app speaks
 * (by primary subtag: "fr-CA" is "fr"), else the library's default, else English.
 */
export function chooseLanguage({ stored = null, browser = [], libraryDefault = null } = {}) {
  if (stored && stored in LANGUAGES) return stored;
  for (const tag of browser ?? []) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (primary in LANGUAGES) return primary;
  }
  if (libraryDefault && libraryDefault in LANGUAGES) return libraryDefault;
  return "en";
}
