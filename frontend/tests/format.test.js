import test from "node:test";
import assert from "node:assert/strict";
import { countLabel, listText, authorLine, formatDate, fullTitle, listParts, safeImageUrl, paragraphs, pageTitle } from "../js/format.js";
import { languageName, languageOptions, catalogLanguageOptions, LANGUAGE_CODES } from "../js/languages.js";

test("countLabel", () => {
  assert.equal(countLabel(1, "book"), "1 book");
  assert.equal(countLabel(0, "book"), "0 books");
  assert.equal(countLabel(1200, "book"), "1,200 books");
  assert.equal(countLabel(2, "copy", "copies"), "2 copies");
});

test("listText and authorLine", () => {
  assert.equal(listText(["A"]), "A");
  assert.equal(listText(["A", "B"]), "A and B");
  assert.equal(listText(["A", "B", "C"]), "A, B, and C");
  assert.equal(authorLine([{ name: "Terry Pratchett" }, { name: "Neil Gaiman" }]), "Terry Pratchett and Neil Gaiman");
  assert.equal(authorLine([]), "");
  assert.equal(authorLine(undefined), "");
});

test("listParts marks where each item goes", () => {
  assert.deepEqual(listParts(["A", "B", "C"]), [
    { type: "element", value: "A", index: 0 },
    { type: "literal", value: ", " },
    { type: "element", value: "B", index: 1 },
    { type: "literal", value: ", and " },
    { type: "element", value: "C", index: 2 },
  ]);
  assert.deepEqual(listParts([]), []);
});

test("formatDate", () => {
  assert.equal(formatDate("2026-11-27T12:00:00+00:00"), "27 November 2026");
  assert.equal(formatDate(null), "");
  assert.equal(formatDate("not a date"), "");
});

test("fullTitle", () => {
  assert.equal(fullTitle({ title: "Dune", subtitle: null }), "Dune");
  assert.equal(fullTitle({ title: "Dune", subtitle: "A Novel" }), "Dune: A Novel");
});

test("safeImageUrl allows https only (the CSP's img-src)", () => {
  assert.equal(safeImageUrl("https://covers.example/1.jpg"), "https://covers.example/1.jpg");
  assert.equal(safeImageUrl("http://covers.example/1.jpg"), null);
  assert.equal(safeImageUrl("javascript:alert(1)"), null);
  assert.equal(safeImageUrl("not a url"), null);
  assert.equal(safeImageUrl(null), null);
});

test("paragraphs splits on blank lines", () => {
  assert.deepEqual(paragraphs("One\nline.\n\n  Two. \n \nThree."), ["One\nline.", "Two.", "Three."]);
  assert.deepEqual(paragraphs(null), []);
});

test("languageName uses Intl.DisplayNames and falls back to the code", () => {
  assert.equal(languageName("fr"), "French");
  assert.equal(languageName("nb"), "Norwegian Bokmål");
  assert.equal(languageName(""), "");
  assert.equal(languageName("qq"), "qq");
});

test("languageOptions lists every ISO 639-1 code once, sorted by name, plus extras", () => {
  const options = languageOptions("en");
  assert.equal(options.length, LANGUAGE_CODES.length);
  assert.equal(new Set(options.map((o) => o.code)).size, LANGUAGE_CODES.length);
  const names = options.map((o) => o.name);
  assert.deepEqual(names, [...names].sort(new Intl.Collator("en").compare));
  assert.ok(options.some((o) => o.code === "en" && o.name === "English"));
  assert.equal(languageOptions("en", ["xx", "en", null]).length, LANGUAGE_CODES.length + 1);
});

test("page titles: the page, then the library's name", () => {
  assert.equal(pageTitle("Dune", "Hill School Library"), "Dune · Hill School Library");
  assert.equal(pageTitle("  Catalog ", " Riverside "), "Catalog · Riverside");
  assert.equal(pageTitle("", "Riverside"), "Riverside");
  assert.equal(pageTitle(null, ""), "Library");
  assert.equal(pageTitle("Riverside", "Riverside"), "Riverside");
});

test("catalogLanguageOptions: the catalog's languages only, named, counted, sorted, each once", () => {
  const items = [
    { code: "fr", name: "French", book_count: 12 },
    { code: "en", name: "English", book_count: 1200 },
    { code: "qq", name: "Quenya", book_count: 1 }, // no name in Intl: the API's name, never the bare code
    { code: "fr", name: "French", book_count: 12 },
    { code: "", name: "Nothing", book_count: 3 },
  ];
  assert.deepEqual(catalogLanguageOptions(items, "en"), [
    { code: "en", label: "English (1,200)" },
    { code: "fr", label: "French (12)" },
    { code: "qq", label: "Quenya (1)" },
  ]);
  assert.deepEqual(catalogLanguageOptions(null), []);
});
