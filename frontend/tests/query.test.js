import test from "node:test";
import assert from "node:assert/strict";
import {
  listState, listApiParams, listHash, pageInfo, isFiltered, resultsSummary, toPositiveInt, toYear, LIST_DEFAULTS,
} from "../js/query.js";
import { parseHash } from "../js/router.js";

test("listState fills defaults", () => {
  assert.deepEqual(listState({}), {
    q: "", subject: "", language: "", sort: "title", year_from: null, year_to: null, available: false, page: 1, per_page: 20,
  });
});

test("the available-now filter: only \"true\" turns it on; it is in the hash and the API call only when on", () => {
  assert.equal(listState({ available: "true" }).available, true);
  assert.equal(listState({ available: "yes" }).available, false);
  const on = listState({ q: "dune", available: "true" });
  assert.equal(listHash(on), "#/books?q=dune&available=true");
  assert.deepEqual(listApiParams(on), { q: "dune", sort: "title", available: true, page: 1, per_page: 20 });
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
  assert.equal(state.sort, "title");
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

test("listApiParams drops empty filters", () => {
  const params = listApiParams(listState({ q: "dune", subject: "Fiction" }));
  assert.deepEqual(params, { q: "dune", subject: "Fiction", sort: "title", page: 1, per_page: 20 });
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
