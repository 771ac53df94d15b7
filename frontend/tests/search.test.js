import test from "node:test";
import assert from "node:assert/strict";
import {
  fold, hasWords, isIsbnQuery, searchTerms, highlightSegments, facetFilter, isFacetActive, toggleFacet, yearsLabel,
  activeFilters, findAuthorName,
  panelFilterCount,
} from "../js/search.js";
import { listState, listHash } from "../js/query.js";

const marked = (text, q) => highlightSegments(text, searchTerms(q)).filter((s) => s.match).map((s) => s.text);

test("fold drops case and accents", () => {
  assert.equal(fold("Émile Zola"), "emile zola");
  assert.equal(fold("Bjørn ÅSE"), "bjørn ase");
  assert.equal(fold("ﬁne"), "fine");
  assert.equal(fold(null), "");
});

test("hasWords and isIsbnQuery", () => {
  assert.equal(hasWords("***"), false);
  assert.equal(hasWords("  "), false);
  assert.equal(hasWords("é"), true);
  assert.equal(isIsbnQuery("978-0-306-40615-7"), true);
  assert.equal(isIsbnQuery("0 306 40615 2"), true);
  assert.equal(isIsbnQuery("030640615X"), true);
  assert.equal(isIsbnQuery("1984"), false);
  assert.equal(isIsbnQuery("dune 9780306406157"), false);
});

test("searchTerms: words, the last one a prefix unless q ends in a space", () => {
  assert.deepEqual(searchTerms("Dune mess"), [{ word: "dune", prefix: false }, { word: "mess", prefix: true }]);
  assert.deepEqual(searchTerms("dune "), [{ word: "dune", prefix: false }]);
  assert.deepEqual(searchTerms("drag"), [{ word: "drag", prefix: true }]);
  assert.deepEqual(searchTerms("Élan"), [{ word: "elan", prefix: true }]);
  assert.deepEqual(searchTerms(""), []);
  assert.deepEqual(searchTerms("***"), []);
  assert.deepEqual(searchTerms("978-0-306-40615-7"), []);
});

test("searchTerms: quoted phrases are exact words, excluded words and phrases are left out", () => {
  assert.deepEqual(searchTerms('"left hand" darkness -winter'), [
    { word: "left", prefix: false }, { word: "hand", prefix: false }, { word: "darkness", prefix: false },
  ]);
  assert.deepEqual(searchTerms('dune -"god emperor"'), [{ word: "dune", prefix: false }]);
  assert.deepEqual(searchTerms('"the hobbit"'), [{ word: "the", prefix: false }, { word: "hobbit", prefix: false }]);
  // A quote without its closing one runs to the end; punctuation splits words as the API's does.
  assert.deepEqual(searchTerms('"sci-fi'), [{ word: "sci", prefix: false }, { word: "fi", prefix: false }]);
  assert.deepEqual(searchTerms("sci-fi"), [{ word: "sci", prefix: false }, { word: "fi", prefix: true }]);
  assert.deepEqual(searchTerms('dune"'), [{ word: "dune", prefix: false }]);
  // A clause without letters or digits does not count: the word before it is the last one.
  assert.deepEqual(searchTerms("dra ***"), [{ word: "dra", prefix: true }]);
  assert.deepEqual(searchTerms("NEAR(a* ^b"), [
    { word: "near", prefix: false }, { word: "a", prefix: false }, { word: "b", prefix: true },
  ]);
  // A lone "-" excludes nothing.
  assert.deepEqual(searchTerms("war - peace"), [{ word: "war", prefix: false }, { word: "peace", prefix: true }]);
  // The same word exact and as a prefix: the exact match wins (no longer words marked for it).
  assert.deepEqual(searchTerms("dune dune"), [{ word: "dune", prefix: false }]);
});

test("highlightSegments marks whole words, and the start of a word for the prefix", () => {
  assert.deepEqual(highlightSegments("Dune Messiah", searchTerms("dune mess")), [
    { text: "Dune", match: true }, { text: " ", match: false }, { text: "Mess", match: true }, { text: "iah", match: false },
  ]);
  assert.deepEqual(marked("The Dragon Reborn", "drag"), ["Drag"]);
  // Exact words do not match inside other words.
  assert.deepEqual(marked("Dunes of Dune", "dune "), ["Dune"]);
  assert.deepEqual(marked("Sandworms", "worm"), []);
});

test("highlightSegments ignores case and accents and keeps the original text", () => {
  assert.deepEqual(marked("Les Misérables", "miserables"), ["Misérables"]);
  assert.deepEqual(marked("ÉMILE and emile", "Emile"), ["ÉMILE", "emile"]);
  // Decomposed accents (e + combining acute) stay whole inside the mark.
  assert.deepEqual(marked("Cafe\u0301 society", "cafe "), ["Cafe\u0301"]);
  // A ligature matches the letters it stands for.
  assert.deepEqual(marked("Le ﬁls", "fils"), ["ﬁls"]);
  // Characters outside the BMP keep their place.
  assert.deepEqual(highlightSegments("𝔄 dune", searchTerms("dune ")), [{ text: "𝔄 ", match: false }, { text: "dune", match: true }]);
});

test("highlightSegments leaves text alone without terms, and joins the segments back to the text", () => {
  assert.deepEqual(highlightSegments("Dune", []), [{ text: "Dune", match: false }]);
  assert.deepEqual(highlightSegments("", searchTerms("dune")), []);
  assert.deepEqual(highlightSegments(null, searchTerms("dune")), []);
  const text = "<b>Dune</b> & the \"dune\" -dune";
  const segments = highlightSegments(text, searchTerms("dune"));
  assert.equal(segments.map((s) => s.text).join(""), text);
  assert.deepEqual(segments.filter((s) => s.match).map((s) => s.text), ["Dune", "dune", "dune"]);
  // Excluded words are not marked.
  assert.deepEqual(marked("Dune Messiah", "dune -messiah"), ["Dune"]);
});

test("facetFilter maps each facet to the API's filter parameters", () => {
  assert.deepEqual(facetFilter("subject", "Fantasy"), { subject: "Fantasy" });
  assert.deepEqual(facetFilter("language", "EN"), { language: "en" });
  assert.deepEqual(facetFilter("author", 7), { author: 7 });
  assert.deepEqual(facetFilter("decade", 1960), { year_from: 1960, year_to: 1969 });
  assert.equal(facetFilter("colour", "red"), null);
});

test("a facet value toggles its filter, and the hash follows", () => {
  const state = listState({ q: "dune" });
  assert.equal(isFacetActive(state, "decade", 1960), false);
  assert.equal(listHash(state, toggleFacet(state, "decade", 1960)), "#/books?q=dune&year_from=1960&year_to=1969");
  assert.equal(listHash(state, toggleFacet(state, "author", 7)), "#/books?q=dune&author=7");
  assert.equal(listHash(state, toggleFacet(state, "subject", "Science fiction")), "#/books?q=dune&subject=Science+fiction");

  const on = listState({ q: "dune", year_from: "1960", year_to: "1969", author: "7", subject: "Fantasy", language: "en", page: "2" });
  assert.equal(isFacetActive(on, "decade", 1960), true);
  assert.equal(isFacetActive(on, "author", 7), true);
  assert.equal(isFacetActive(on, "language", "en"), true);
  assert.equal(listHash(on, toggleFacet(on, "decade", 1960)), "#/books?q=dune&subject=Fantasy&language=en&author=7");
  assert.equal(listHash(on, toggleFacet(on, "author", 7)), "#/books?q=dune&subject=Fantasy&language=en&year_from=1960&year_to=1969");
  // Another value of a one-value filter replaces it.
  assert.deepEqual(toggleFacet(on, "subject", "Horror"), { subject: "Horror" });
});

test("yearsLabel", () => {
  assert.equal(yearsLabel(1960, 1969), "1960s");
  assert.equal(yearsLabel(1955, 1970), "1955–1970");
  assert.equal(yearsLabel(1984, 1984), "1984");
  assert.equal(yearsLabel(1950, null), "from 1950");
  assert.equal(yearsLabel(null, 1970), "until 1970");
  assert.equal(yearsLabel(null, null), "");
  assert.equal(yearsLabel(0, 9), "0s");
});

test("activeFilters lists each filter once with the change that removes it", () => {
  assert.deepEqual(activeFilters(listState({ q: "dune", sort: "title" })), []);
  const state = listState({ q: "dune", subject: "Fantasy", language: "fr", author: "7", year_from: "1960", year_to: "1969", available: "true" });
  const chips = activeFilters(state, { authorName: (id) => (id === 7 ? "Ursula K. Le Guin" : null) });
  assert.deepEqual(chips.map((c) => [c.key, c.name, c.value]), [
    ["subject", "Subject", "Fantasy"],
    ["language", "Language", "French"],
    ["author", "Author", "Ursula K. Le Guin"],
    ["years", "Published", "1960s"],
    ["available", "Availability", "Available now"],
  ]);
  const hashes = chips.map((c) => listHash(state, c.changes));
  assert.deepEqual(hashes, [
    "#/books?q=dune&language=fr&author=7&year_from=1960&year_to=1969&available=true",
    "#/books?q=dune&subject=Fantasy&author=7&year_from=1960&year_to=1969&available=true",
    "#/books?q=dune&subject=Fantasy&language=fr&year_from=1960&year_to=1969&available=true",
    "#/books?q=dune&subject=Fantasy&language=fr&author=7&available=true",
    "#/books?q=dune&subject=Fantasy&language=fr&author=7&year_from=1960&year_to=1969",
  ]);
  assert.equal(activeFilters(listState({ author: "9" }))[0].value, "#9");
});

test("findAuthorName: from the author facet, else from a listed book", () => {
  const envelope = {
    items: [{ authors: [{ id: 3, name: "Frank Herbert" }] }],
    facets: { author: [{ value: 7, label: "Ursula K. Le Guin", count: 2 }] },
  };
  assert.equal(findAuthorName(envelope, 7), "Ursula K. Le Guin");
  assert.equal(findAuthorName(envelope, "3"), "Frank Herbert");
  assert.equal(findAuthorName(envelope, 4), null);
  assert.equal(findAuthorName(null, 4), null);
});

test("panelFilterCount counts what the folded filter panel has set (not the search words or the author)", () => {
  assert.equal(panelFilterCount(listState({})), 0);
  assert.equal(panelFilterCount(listState({ q: "dune", author: "3", sort: "-title" })), 0);
  assert.equal(panelFilterCount(listState({ subject: "Fantasy", language: "fr" })), 2);
  assert.equal(panelFilterCount(listState({ year_from: "1950", year_to: "1959", available: "true" })), 2);
});
