// ISO 639-1 language codes, the values the API accepts for a book's language.
// Display names come from Intl.DisplayNames at run time, so the list carries codes only.

export const LANGUAGE_CODES = Object.freeze(
  (
    "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy " +
    "da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu " +
    "hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb " +
    "lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om " +
    "or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si sk sl sm sn so sq sr ss st su sv sw " +
    "ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
  ).split(" "),
);

const displayNames = new Map();

/** "fr" -> "French" in the given UI locale; falls back to the code itself. */
export function languageName(code, locale = "en") {
  if (!code) return "";
  if (!displayNames.has(locale)) {
    let names = null;
    try {
      names = new Intl.DisplayNames([locale], { type: "language", fallback: "code" });
    } catch {
      names = null;
    }
    displayNames.set(locale, names);
  }
  const names = displayNames.get(locale);
  try {
    return names?.of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * The options of a language filter from GET /languages ({code, name, book_count} of the languages the catalog has):
 * [{ code, label }] sorted by name in the UI locale, e.g. "French (12)". The name is the UI locale's
 * (Intl.DisplayNames) where it has one, else the API's English name, so no code is shown bare.
 */
export function catalogLanguageOptions(items, locale = "en") {
  const seen = new Set();
  const options = [];
  for (const item of Array.isArray(items) ? items : []) {
    const code = typeof item?.code === "string" ? item.code : "";
    if (!code || seen.has(code)) continue;
    seen.add(code);
    const local = languageName(code, locale);
    const name = local && local.toLowerCase() !== code.toLowerCase() ? local : String(item.name || code);
    const count = Number(item.book_count) || 0;
    options.push({ code, name, label: `${name} (${count.toLocaleString(locale)})` });
  }
  const collator = new Intl.Collator(locale);
  return options.sort((a, b) => collator.compare(a.name, b.name) || a.code.localeCompare(b.code))
    .map(({ code, label }) => ({ code, label }));
}

/**
 * [{ code, name }] for a <select>, sorted by name in the UI locale. `extra` codes (e.g. a book's
 * language that is not in the list) are included so an existing value is never lost.
 */
export function languageOptions(locale = "en", extra = []) {
  const codes = new Set(LANGUAGE_CODES);
  for (const code of extra) if (code) codes.add(code);
  const collator = new Intl.Collator(locale);
  return [...codes]
    .map((code) => ({ code, name: languageName(code, locale) }))
    .sort((a, b) => collator.compare(a.name, b.name) || a.code.localeCompare(b.code));
}
