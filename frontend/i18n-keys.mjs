// The message keys the app uses, for the catalog check (tests/i18n-catalogs.test.js) and for whoever adds a
// language: `node frontend/i18n-keys.mjs` lists the keys missing from or unused in each catalog of locales/.
//
// Keys come from two places:
// - js/**/*.js: the first string literal of every t("...") and msg("..."), and the two literals of every
//   tn(count, "one", "other") (the catalog's plural entry is keyed by "other"). A t() whose first argument
//   is not a literal is reported as a problem unless its line says why with a `// i18n: ...` comment (used
//   for code→label maps whose labels are marked with msg("...") where they are written).
// - index.html: every text node and the attributes in TRANSLATED_ATTRIBUTES, whitespace-normalised exactly as
//   i18n-dom.js translateTree() does at run time, outside elements marked translate="no" or data-no-i18n and
//   outside <kbd> and <code>.
// Text without a letter ("·", "1", "—") is not a key.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const FRONTEND = dirname(fileURLToPath(import.meta.url));
export const TRANSLATED_ATTRIBUTES = ["placeholder", "aria-label", "title", "alt"];
export const LANGUAGES = ["fr", "es"];

/** The normal form of a text: trimmed, runs of white space made one space (same rule as translateTree). */
export function normalise(text) {
  return String(text).replace(/\s+/g, " ").trim();
}

/** True for text worth translating: it has a letter. */
export function isWords(text) {
  return /\p{L}/u.test(text);
}

function jsFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...jsFiles(path));
    else if (name.endsWith(".js")) found.push(path);
  }
  return found;
}

// A JS string literal at `i` ("...", '...' or `...` without ${}); returns { value, end } or null.
function readLiteral(source, i) {
  const quote = source[i];
  if (quote !== '"' && quote !== "'" && quote !== "`") return null;
  let value = "";
  let j = i + 1;
  while (j < source.length && source[j] !== quote) {
    if (source[j] === "\\") {
      const next = source[j + 1];
      const escapes = { n: "\n", t: "\t", "\\": "\\", '"': '"', "'": "'", "`": "`" };
      if (next === "u") {
        const hex = source.slice(j + 2, j + 6);
        value += String.fromCharCode(parseInt(hex, 16));
        j += 6;
        continue;
      }
      value += escapes[next] ?? next;
      j += 2;
      continue;
    }
    if (quote === "`" && source[j] === "$" && source[j + 1] === "{") return null;
    value += source[j];
    j += 1;
  }
  return { value, end: j + 1 };
}

function skipSpace(source, i) {
  while (/\s/.test(source[i] ?? "")) i += 1;
  return i;
}

// Index just after the top-level argument starting at i (at the ',' or ')').
function skipArgument(source, i) {
  let depth = 0;
  for (; i < source.length; i += 1) {
    const c = source[i];
    if (c === '"' || c === "'" || c === "`") {
      const literal = readLiteral(source, i);
      if (literal) { i = literal.end - 1; continue; }
      // a template with ${}: skip to its closing backtick
      let j = i + 1;
      while (j < source.length && source[j] !== "`") j += source[j] === "\\" ? 2 : 1;
      i = j;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth += 1;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) return i;
      depth -= 1;
    } else if (c === "," && depth === 0) return i;
  }
  return i;
}

function lineOf(source, index) {
  return source.slice(0, index).split("\n").length;
}

function lineText(source, index) {
  const start = source.lastIndexOf("\n", index) + 1;
  const end = source.indexOf("\n", index);
  return source.slice(start, end === -1 ? undefined : end);
}

/**
 * The keys of one JS source: { keys: Map(key -> {plural}), problems: [text] }.
 * `file` is only for messages.
 */
export function keysOfScript(source, file = "script") {
  const keys = new Map();
  const problems = [];
  const call = /(?<![\w$.])(t|tn|msg)\(/g;
  let match;
  while ((match = call.exec(source))) {
    const [, name] = match;
    // skip definitions ("function t(") and comments
    const before = source.slice(Math.max(0, match.index - 9), match.index);
    if (/function\s*$/.test(before)) continue;
    const line = lineText(source, match.index);
    const column = match.index - (source.lastIndexOf("\n", match.index) + 1);
    const lineStart = line.slice(0, column);
    if (/^\s*(\/\/|\*|\/\*)/.test(lineStart) || lineStart.includes("//")) continue;
    let i = skipSpace(source, match.index + match[0].length);
    const where = `${file}:${lineOf(source, match.index)}`;
    if (name === "tn") {
      i = skipSpace(source, skipArgument(source, i) + 1);
      const one = readLiteral(source, i);
      const other = one && readLiteral(source, skipSpace(source, skipSpace(source, one.end) + 1));
      if (!one || !other) {
        problems.push(`${where}: tn() needs two string literals after the count`);
        continue;
      }
      keys.set(other.value, { plural: true, one: one.value, where });
      continue;
    }
    const literal = readLiteral(source, i);
    if (literal) {
      if (!keys.has(literal.value)) keys.set(literal.value, { plural: false, where });
    } else if (!/\/\/\s*i18n:/.test(line)) {
      problems.push(`${where}: ${name}() with a non-literal message (mark a code→label map with // i18n: …)`);
    }
  }
  return { keys, problems };
}

// Keys to press and code are the same in every language.
const CODE = new Set(["kbd", "code"]);
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);

/** The keys of an HTML document (text nodes and TRANSLATED_ATTRIBUTES), in order of appearance. */
export function keysOfHtml(html) {
  const keys = new Map();
  const add = (text, where) => {
    const key = normalise(text);
    if (isWords(key) && !keys.has(key)) keys.set(key, { plural: false, where });
  };
  const stack = []; // [tagName, skipped]
  const skipped = () => stack.some(([, skip]) => skip);
  const token = /<!--[\s\S]*?-->|<![^>]*>|<(\/?)([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>|([^<]+)/g;
  let match;
  let inRaw = null;
  while ((match = token.exec(html))) {
    const [whole, closing, tagName, attributes, , text] = match;
    if (whole.startsWith("<!")) continue;
    if (text !== undefined) {
      if (!inRaw && !skipped()) add(text, "index.html");
      continue;
    }
    const tag = tagName.toLowerCase();
    if (inRaw) {
      if (closing && tag === inRaw) inRaw = null;
      continue;
    }
    if (closing) {
      const at = stack.map(([name]) => name).lastIndexOf(tag);
      if (at !== -1) stack.length = at;
      continue;
    }
    const attrs = {};
    for (const [, name, , value1, value2, value3] of attributes.matchAll(/([^\s=>/]+)(\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
      attrs[name.toLowerCase()] = value1 ?? value2 ?? value3 ?? "";
    }
    const skip = attrs.translate === "no" || "data-no-i18n" in attrs || CODE.has(tag);
    if (!skip && !skipped()) {
      for (const name of TRANSLATED_ATTRIBUTES) if (attrs[name]) add(attrs[name], "index.html");
    }
    if (tag === "script" || tag === "style") { inRaw = tag; continue; }
    if (!VOID.has(tag)) stack.push([tag, skip]);
  }
  return keys;
}

/** Every key the app uses: { keys: Map(key -> {plural, where}), problems: [text] }. */
export function appKeys(root = FRONTEND) {
  const keys = keysOfHtml(readFileSync(join(root, "index.html"), "utf8"));
  const problems = [];
  for (const file of jsFiles(join(root, "js"))) {
    const found = keysOfScript(readFileSync(file, "utf8"), relative(root, file));
    problems.push(...found.problems);
    for (const [key, info] of found.keys) {
      const known = keys.get(key);
      if (!known || (info.plural && !known.plural)) keys.set(key, info);
    }
  }
  return { keys, problems };
}

/** A language's catalog from locales/<lang>.json. */
export function readCatalog(lang, root = FRONTEND) {
  return JSON.parse(readFileSync(join(root, "locales", `${lang}.json`), "utf8"));
}

function placeholders(text) {
  return [...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

/** The plural categories a language's catalog entries must have (Intl.PluralRules' own list). */
export function pluralCategories(lang) {
  return new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
}

/** What is wrong with a catalog against the app's keys: [text] (empty when complete and clean). */
export function checkCatalog(lang, catalog, keys) {
  const problems = [];
  const needed = pluralCategories(lang);
  for (const [key, info] of keys) {
    if (!(key in catalog)) { problems.push(`${lang}: missing ${JSON.stringify(key)} (${info.where})`); continue; }
    const entry = catalog[key];
    const expected = placeholders(key);
    if (info.plural) {
      if (!entry || typeof entry !== "object") { problems.push(`${lang}: ${JSON.stringify(key)} needs plural forms ${needed.join("/")}`); continue; }
      for (const category of needed) {
        if (typeof entry[category] !== "string") problems.push(`${lang}: ${JSON.stringify(key)} lacks the plural form "${category}"`);
      }
      for (const [category, text] of Object.entries(entry)) {
        if (!needed.includes(category)) problems.push(`${lang}: ${JSON.stringify(key)} has the plural form "${category}" ${lang} does not use`);
        const got = placeholders(text).filter((name) => name !== "count");
        const want = expected.filter((name) => name !== "count");
        if (String(got) !== String(want)) problems.push(`${lang}: ${JSON.stringify(key)} [${category}] placeholders {${got}} ≠ {${want}}`);
      }
      continue;
    }
    if (typeof entry !== "string" || !entry.trim()) { problems.push(`${lang}: ${JSON.stringify(key)} must be a non-empty string`); continue; }
    if (String(placeholders(entry)) !== String(expected)) problems.push(`${lang}: ${JSON.stringify(key)} placeholders {${placeholders(entry)}} ≠ {${expected}}`);
  }
  for (const key of Object.keys(catalog)) {
    if (!keys.has(key)) problems.push(`${lang}: unused ${JSON.stringify(key)}`);
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { keys, problems } = appKeys();
  const languages = process.argv.slice(2).length ? process.argv.slice(2) : LANGUAGES;
  if (languages[0] === "--list") {
    process.stdout.write(`${JSON.stringify(Object.fromEntries([...keys].map(([k, v]) => [k, v.plural ? { one: v.one, other: k } : k])), null, 2)}\n`);
    process.exit(0);
  }
  for (const lang of languages) {
    let catalog = {};
    try { catalog = readCatalog(lang); } catch (error) { problems.push(`${lang}: ${error.message}`); }
    problems.push(...checkCatalog(lang, catalog, keys));
  }
  for (const problem of problems) console.log(problem);
  console.log(`${keys.size} keys; ${problems.length} problem(s)`);
  process.exit(problems.length ? 1 : 0);
}
