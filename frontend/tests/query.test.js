import test from "node:test";
import assert from "node:assert/strict";
import {
  listState, listApiParams, listHash, pageInfo, pagerLinks, isFiltered, resultsSummary, toPositiveInt, toYear, toCursor,
  defaultSort, LIST_DEFAULTS, SORT_OPTIONS,
} from "../js/query.js";
import { parseHash } from "../js/router.js";

test("listState fills defaults", () => {
  assert.deepEqual(listState({}), {
    q: "", subject: "", language: "", author: null, sort: "title", year_from: null, year_to: null, available: false,
    page: 1, per_page: 20, cursor: "",
  });
});

test("the available-now filter: only \"true\" turns it on; it is in the hash and the API call only when on", () => {
  assert.equal(listState({ available: "true" }).available, true);
  assert.equal(listState({ available: "yes" }).available, false);
  const on = listState({ q: "dune", available: "true" });
  assert.equal(listHash(on), "#/books?q=dune&available=true");
  assert.deepEqual(listApiParams(on), {
    q: "dune", sort: "relevance", available: true, page: 1, per_page: 20, facets: "subject,language,author,decade", facet_limit: 8,
  });
  assert.equal(listHash(on, { available: false }), "#/books?q=dune");
  assert.equal(isFiltered(listState({ available: "true" })), true);
  assert.deepEqual(listState(parseHash(listHash(on)).query), on);
});

test("listState normalises and rejects bad values", () => {
  const state = listState({
    q: "  dune ", language: "EN", sort: "drop table", page: "-3", per_page: "1000", year_from: "19x", year_to: "2001",
  });
  assert.equal(state.q, "dune");
  assert.equal(state.language, "en");
  assert.equal(state.sort, "relevance"); // the default for a q with words
  assert.equal(state.page, 1);
  assert.equal(state.per_page, 100);
  assert.equal(state.year_from, null);
  assert.equal(state.year_to, 2001);
});

test("toPositiveInt and toYear", () => {
  assert.equal(toPositiveInt("7", 1), 7);
  assert.equal(toPositiveInt("0", 1), 1);
  assert.equal(toPositiveInt("2.5", 1), 1);
  assert.equal(toPositiveInt(undefined, 3), 3);
  assert.equal(toYear("0"), 0);
  assert.equal(toYear("12345"), null);
  assert.equal(toYear(" 1969 "), 1969);
});

test("listApiParams drops empty filters, and asks for facets when a q or a filter is set", () => {
  const params = listApiParams(listState({ q: "dune", subject: "Fiction" }));
  assert.deepEqual(params, {
    q: "dune", subject: "Fiction", sort: "relevance", page: 1, per_page: 20, facets: "subject,language,author,decade", facet_limit: 8,
  });
  assert.deepEqual(listApiParams(listState({})), { sort: "title", page: 1, per_page: 20 });
  assert.deepEqual(listApiParams(listState({ sort: "-title", page: "2" })), { sort: "-title", page: 2, per_page: 20 });
  assert.equal(listApiParams(listState({ author: "7" })).author, 7);
  assert.equal(listApiParams(listState({ year_from: "1960" })).facets, "subject,language,author,decade");
});

test("with a cursor the API gets the cursor, not the page (the page number is for display)", () => {
  const state = listState({ q: "dune", page: "3", cursor: "eyJrIjpbMV19" });
  assert.equal(state.page, 3);
  const params = listApiParams(state);
  assert.equal(params.cursor, "eyJrIjpbMV19");
  assert.equal("page" in params, false);
  assert.equal(listHash(state), "#/books?q=dune&page=3&cursor=eyJrIjpbMV19");
  assert.deepEqual(listState(parseHash(listHash(state)).query), state);
});

test("toCursor refuses what cannot be a cursor", () => {
  assert.equal(toCursor(" abc_-= "), "abc_-=");
  assert.equal(toCursor("a b"), "");
  assert.equal(toCursor("x".repeat(1001)), "");
  assert.equal(toCursor(undefined), "");
});

test("any change but a cursor drops the cursor; filters also go back to page 1", () => {
  const state = listState({ q: "dune", page: "3", cursor: "c3" });
  assert.equal(listHash(state, { subject: "Fiction" }), "#/books?q=dune&subject=Fiction");
  assert.equal(listHash(state, { page: 2 }), "#/books?q=dune&page=2");
  assert.equal(listHash(state, { page: 4, cursor: "c4" }), "#/books?q=dune&page=4&cursor=c4");
  assert.equal(listHash(state, { sort: "title" }), "#/books?q=dune&sort=title");
});

test("relevance is the default sort with words in q, title without; the default stays out of the hash", () => {
  assert.equal(SORT_OPTIONS[0].value, "relevance");
  assert.equal(defaultSort("dune"), "relevance");
  assert.equal(defaultSort(""), "title");
  assert.equal(defaultSort("***"), "title");
  assert.equal(listState({ q: "dune" }).sort, "relevance");
  assert.equal(listState({ q: "***" }).sort, "title");
  assert.equal(listState({ sort: "relevance" }).sort, "title"); // relevance without q is title
  assert.equal(listState({ q: "dune", sort: "title" }).sort, "title");
  assert.equal(listHash(listState({ q: "dune" })), "#/books?q=dune");
  assert.equal(listHash(listState({ q: "dune", sort: "title" })), "#/books?q=dune&sort=title");
  assert.equal(listHash(listState({ sort: "title" })), "#/books");
  // Clearing q from a relevance-sorted search goes back to the title order.
  assert.equal(listHash(listState({ q: "dune" }), { q: "" }), "#/books");
  // A new q without a chosen sort (sort: undefined) gets the default for it.
  assert.equal(listHash(listState({}), { q: "dune", sort: undefined }), "#/books?q=dune");
});

test("the author filter is a positive id", () => {
  assert.equal(listState({ author: "12" }).author, 12);
  assert.equal(listState({ author: "x" }).author, null);
  assert.equal(listHash(listState({ author: "12" })), "#/books?author=12");
  assert.equal(isFiltered(listState({ author: "12" })), true);
});

test("pagerLinks: next by cursor with the next page number, previous by page number", () => {
  const first = listState({ subject: "Fiction" });
  assert.deepEqual(pagerLinks(first, { total: 57, items: [{}], next_cursor: "c2" }), {
    prev: null, next: "#/books?subject=Fiction&page=2&cursor=c2",
  });
  const third = listState({ subject: "Fiction", page: "3", cursor: "c3" });
  assert.deepEqual(pagerLinks(third, { total: 57, items: [{}], next_cursor: null }), {
    prev: "#/books?subject=Fiction&page=2", next: null,
  });
  const second = listState({ page: "2", cursor: "c2" });
  assert.equal(pagerLinks(second, { total: 57, items: [{}], next_cursor: null }).prev, "#/books");
  // An answer without next_cursor (an older server): page numbers.
  assert.deepEqual(pagerLinks(first, { total: 57, items: [{}] }), { prev: null, next: "#/books?subject=Fiction&page=2" });
  // Past the API's page-mode limit there is no previous page by number.
  const deep = listState({ page: "502", cursor: "c502" });
  assert.equal(pagerLinks(deep, { total: 20000, items: [{}], next_cursor: "n" }).prev, null);
  assert.equal(pagerLinks(listState({ page: "501", cursor: "c" }), { total: 20000, items: [{}], next_cursor: "n" }).prev, "#/books?page=500");
});

test("listHash is canonical and round-trips through parseHash/listState", () => {
  const state = listState({ q: "dune", subject: "Science fiction", language: "en", sort: "-published_year", page: "2" });
  const hash = listHash(state);
  assert.equal(hash, "#/books?q=dune&subject=Science+fiction&language=en&sort=-published_year&page=2");
  assert.deepEqual(listState(parseHash(hash).query), state);
  assert.equal(listHash(listState({})), "#/books");
});

test("listHash resets the page when a filter changes, not when the page does", () => {
  const state = listState({ q: "dune", page: "4" });
  assert.equal(listHash(state), "#/books?q=dune&page=4");
  assert.equal(listHash(state, { subject: "Fiction" }), "#/books?q=dune&subject=Fiction");
  assert.equal(listHash(state, { page: 5 }), "#/books?q=dune&page=5");
  assert.equal(listHash(state, { q: "" }), "#/books");
});

test("pageInfo computes pages, ranges and neighbours", () => {
  assert.deepEqual(pageInfo({ total: 57, page: 2, per_page: 20 }), {
    total: 57, page: 2, pages: 3, first: 21, last: 40, outOfRange: false, prev: 1, next: 3,
  });
  const last = pageInfo({ total: 57, page: 3, per_page: 20 });
  assert.equal(last.last, 57);
  assert.equal(last.next, null);
  const empty = pageInfo({ total: 0, page: 1, per_page: 20 });
  assert.equal(empty.pages, 1);
  assert.equal(empty.first, 0);
  assert.equal(empty.prev, null);
});

test("pageInfo past the end points prev at the last page", () => {
  const info = pageInfo({ total: 57, page: 9, per_page: 20 });
  assert.equal(info.outOfRange, true);
  assert.equal(info.prev, 3);
  assert.equal(info.next, null);
});

test("resultsSummary", () => {
  assert.equal(resultsSummary(pageInfo({ total: 0 })), "No books");
  assert.equal(resultsSummary(pageInfo({ total: 1 })), "1 book");
  assert.equal(resultsSummary(pageInfo({ total: 7 })), "7 books");
  assert.equal(resultsSummary(pageInfo({ total: 1234, page: 2, per_page: 20 })), "Books 21–40 of 1,234");
  assert.equal(resultsSummary(pageInfo({ total: 5, page: 3, per_page: 20 })), "No books on page 3");
  assert.equal(resultsSummary(pageInfo({ total: 12000, page: 1, per_page: 20 }), "book", { estimate: true }), "Books 1–20 of about 12,000");
});

test("isFiltered", () => {
  assert.equal(isFiltered(listState({})), false);
  assert.equal(isFiltered(listState({ sort: "-title", page: "3" })), false);
  assert.equal(isFiltered(listState({ year_from: "0" })), true);
  assert.equal(isFiltered(listState({ language: "fr" })), true);
});

test("defaults are frozen", () => {
  assert.throws(() => { LIST_DEFAULTS.sort = "x"; }, TypeError);
});
