// The catalogs against the code: every key the app uses is translated in every language, no catalog keeps a key
// the app no longer uses, placeholders and plural forms are right, and no t() hides its key from the check.

import { test } from "node:test";
import assert from "node:assert/strict";
import { LANGUAGES as CATALOG_LANGUAGES, appKeys, checkCatalog, keysOfHtml, keysOfScript, pluralCategories, readCatalog } from "../i18n-keys.mjs";
import { LANGUAGES, chooseLanguage, setCatalog, t, tn } from "../js/i18n.js";

const { keys, problems } = appKeys();

test("every t() and tn() in js/ has literal messages (or is a marked code→label map)", () => {
  assert.deepEqual(problems, []);
});

for (const lang of CATALOG_LANGUAGES) {
  test(`locales/${lang}.json: every key translated, none unused, placeholders and plural forms right`, () => {
    assert.deepEqual(checkCatalog(lang, readCatalog(lang), keys), []);
  });
}

test("the picker's languages are English and those with a catalog", () => {
  assert.deepEqual(Object.keys(LANGUAGES).sort(), ["en", ...CATALOG_LANGUAGES].sort());
});

test("the app's keys include index.html's text and attributes and the JS messages", () => {
  assert.ok(keys.has("Skip to main content")); // static page
  assert.ok(keys.has("Title, author or ISBN")); // a placeholder in a template
  assert.ok(keys.has("Loading…")); // t() in dom.js
  assert.ok(keys.get("{count} copies").plural); // tn()
  assert.ok(keys.has("Changed a book")); // msg() in a code→label map
  assert.ok(keys.size > 900);
});

test("extraction: literals, plurals, msg(), and a non-literal t() is a problem unless marked", () => {
  const source = [
    'const a = t("Hello {name}", { name });',
    "const b = tn(list.length, '{count} cat', `{count} cats`);",
    'const MAP = { x: msg("Ex") };',
    "const c = t(MAP[code]); // i18n: MAP",
    "const d = t(label);",
    "const e = t(`Hi ${name}`);",
    "// t(\"in a comment\")",
    "function t(text) {}",
    'widget.t("not ours");',
  ].join("\n");
  const { keys: found, problems: wrong } = keysOfScript(source, "x.js");
  assert.deepEqual([...found.keys()], ["Hello {name}", "{count} cats", "Ex"]);
  assert.equal(found.get("{count} cats").one, "{count} cat");
  assert.equal(wrong.length, 2);
  assert.match(wrong[0], /x\.js:5/);
  assert.match(wrong[1], /x\.js:6/);
});

test("extraction from HTML: normalised text and attributes, skipping translate=no, data-no-i18n, kbd and code", () => {
  const html = `<!doctype html><html><head><title>Page</title><script>const x = "no";</script></head>
    <body><p class="a">Press  <kbd>Esc</kbd>
      to close</p><input placeholder="Type here" value="v" aria-label=" A  label "><img alt="">
    <span translate="no">Français</span><p data-no-i18n>Library</p><p>Fine <code>GET /x</code>.</p> · 12</body></html>`;
  assert.deepEqual([...keysOfHtml(html).keys()], ["Page", "Press", "to close", "Type here", "A label", "Fine"]);
});

test("catalog check: it finds missing, unused, placeholder and plural mistakes", () => {
  const want = new Map([["Due {date}", { plural: false, where: "x" }], ["{count} copies", { plural: true, where: "x" }]]);
  const found = checkCatalog("fr", { "Due {date}": "Retour le {jour}", "{count} copies": { one: "{count} exemplaire" }, Old: "Vieux" }, want);
  assert.equal(found.length, 4, found.join("\n"));
  assert.ok(found.some((p) => p.includes("placeholders")));
  assert.ok(found.some((p) => p.includes('lacks the plural form "other"')));
  assert.ok(found.some((p) => p.includes("unused")));
  assert.deepEqual(pluralCategories("en").sort(), ["one", "other"]);
});

test("tn: a category the entry lacks falls back to other", () => {
  setCatalog("fr", { "{count} copies": { one: "{count} exemplaire", other: "{count} exemplaires" } });
  assert.equal(tn(1000000, "{count} copy", "{count} copies"), "1\u202f000\u202f000 exemplaires"); // "many" in French
  assert.equal(tn(1, "{count} copy", "{count} copies"), "1 exemplaire");
  setCatalog("en");
  assert.equal(t("Copies"), "Copies");
});

test("chooseLanguage: the stored choice, else the browser's first known language, else the library's default", () => {
  assert.equal(chooseLanguage({ stored: "es", browser: ["fr-FR"], libraryDefault: "fr" }), "es");
  assert.equal(chooseLanguage({ stored: "de", browser: ["de-DE", "fr-CA", "es"], libraryDefault: "es" }), "fr");
  assert.equal(chooseLanguage({ browser: ["de-DE", "it"], libraryDefault: "es" }), "es");
  assert.equal(chooseLanguage({ browser: ["de"], libraryDefault: "xx" }), "en");
  assert.equal(chooseLanguage(), "en");
});
