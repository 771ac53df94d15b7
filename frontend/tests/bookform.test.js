import test from "node:test";
import assert from "node:assert/strict";
import {
  splitList, joinList, bookToFormValues, formValuesToPayload, patchBody, flattenErrors, groupErrors, lookupToFormValues,
} from "../js/bookform.js";

const book = {
  id: 12,
  title: "The Left Hand of Darkness",
  subtitle: null,
  authors: [{ id: 3, name: "Ursula K. Le Guin", sort_name: "Le Guin, Ursula K." }],
  isbn: "9780306406157",
  isbn_formatted: "978-0-306-40615-7",
  isbn10: "0306406152",
  publisher: "Ace",
  published_year: 1969,
  language: "en",
  description: "Winter.",
  subjects: ["Fiction", "Science fiction"],
  cover_url: null,
};

test("splitList splits on semicolons and newlines, keeps commas, trims and dedupes", () => {
  assert.deepEqual(splitList("Le Guin, Ursula K.;  Tolkien,  J. R. R. ;\n;le guin, ursula k."), [
    "Le Guin, Ursula K.",
    "Tolkien, J. R. R.",
  ]);
  assert.deepEqual(splitList(""), []);
  assert.deepEqual(splitList(null), []);
  assert.deepEqual(splitList(" ; ; "), []);
});

test("joinList is splitList's inverse for clean input", () => {
  assert.equal(joinList(["Fiction", "Science fiction"]), "Fiction; Science fiction");
  assert.deepEqual(splitList(joinList(["A, B", "C"])), ["A, B", "C"]);
  assert.equal(joinList(undefined), "");
});

test("bookToFormValues fills strings for every field", () => {
  assert.deepEqual(bookToFormValues(book), {
    title: "The Left Hand of Darkness",
    subtitle: "",
    authors: "Ursula K. Le Guin",
    isbn: "978-0-306-40615-7",
    publisher: "Ace",
    published_year: "1969",
    language: "en",
    subjects: "Fiction; Science fiction",
    cover_url: "",
    cover_id: "",
    description: "Winter.",
  });
  assert.equal(bookToFormValues().title, "");
});

test("formValuesToPayload sends null for empty optional fields, never empty strings", () => {
  const payload = formValuesToPayload({ ...bookToFormValues(), title: " Dune " });
  assert.deepEqual(payload, {
    title: "Dune",
    subtitle: null,
    authors: [],
    isbn: null,
    publisher: null,
    published_year: null,
    language: null,
    subjects: [],
    cover_url: null,
    cover_id: null,
    description: null,
  });
});

test("lookupToFormValues fills what the lookup found and keeps the rest", () => {
  const found = {
    title: "Fantastic Mr. Fox", authors: [{ name: "Roald Dahl" }], isbn: "9780140328721", publisher: "Puffin",
    published_year: 1988, subjects: ["Animals", "Foxes"], cover_id: "a".repeat(32),
  };
  const values = lookupToFormValues(found, { ...bookToFormValues(), language: "en", isbn: "0-14-032872-6" });
  assert.equal(values.title, "Fantastic Mr. Fox");
  assert.equal(values.authors, "Roald Dahl");
  assert.equal(values.isbn, "9780140328721");
  assert.equal(values.published_year, "1988");
  assert.equal(values.subjects, "Animals; Foxes");
  assert.equal(values.cover_id, "a".repeat(32));
  assert.equal(values.language, "en", "not found by the lookup: kept");
  assert.equal(values.description, "");
});

test("formValuesToPayload omits an empty title on create so the API says it is missing", () => {
  assert.equal("title" in formValuesToPayload(bookToFormValues()), false);
  assert.equal(formValuesToPayload({ ...bookToFormValues(book), title: "" }, book).title, null);
});

test("formValuesToPayload passes malformed ISBN and year through for the server to judge", () => {
  const payload = formValuesToPayload({ ...bookToFormValues(), title: "X", isbn: "978-0-306-40615-8", published_year: "19x9" });
  assert.equal(payload.isbn, "978-0-306-40615-8");
  assert.equal(payload.published_year, "19x9");
  assert.equal(formValuesToPayload({ title: "X", published_year: " 1969 " }).published_year, 1969);
});

test("formValuesToPayload keeps known authors by id and adds new ones by name", () => {
  const payload = formValuesToPayload({ ...bookToFormValues(book), authors: "Ursula K. Le Guin; Terry Pratchett" }, book);
  assert.deepEqual(payload.authors, [{ id: 3 }, { name: "Terry Pratchett" }]);
});

test("patchBody contains only what changed", () => {
  assert.deepEqual(patchBody(book, formValuesToPayload(bookToFormValues(book), book)), {});
  const edited = { ...bookToFormValues(book), title: "New title", subjects: "Fiction", cover_url: "" };
  assert.deepEqual(patchBody(book, formValuesToPayload(edited, book)), { title: "New title", subjects: ["Fiction"] });
  const cleared = { ...bookToFormValues(book), isbn: "", published_year: "" };
  assert.deepEqual(patchBody(book, formValuesToPayload(cleared, book)), { isbn: null, published_year: null });
});

test("flattenErrors accepts flat and nested maps and strips a location key", () => {
  assert.deepEqual(flattenErrors({ isbn: ["Bad."], "authors.0.name": ["Long."] }), [
    ["isbn", "Bad."],
    ["authors.0.name", "Long."],
  ]);
  assert.deepEqual(flattenErrors({ json: { authors: { 1: { name: ["Empty."] } }, title: "Missing." } }), [
    ["authors.1.name", "Empty."],
    ["title", "Missing."],
  ]);
  assert.deepEqual(flattenErrors(null), []);
});

test("groupErrors sorts messages onto fields and keeps the rest for the summary", () => {
  const grouped = groupErrors({
    title: ["Missing data for required field."],
    isbn: ["Not a valid ISBN: wrong check digit."],
    "authors.1.name": ["Shorter than minimum length 1."],
    "subjects.0": ["Too long."],
    _schema: ["Something general."],
    shelf: ["Unknown field."],
  });
  assert.deepEqual(grouped.fields, {
    title: ["Missing data for required field."],
    isbn: ["Not a valid ISBN: wrong check digit."],
    authors: ["Author 2: Shorter than minimum length 1."],
    subjects: ["Subject 1: Too long."],
  });
  assert.deepEqual(grouped.other, ["Something general.", "shelf: Unknown field."]);
});
