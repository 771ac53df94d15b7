import test from "node:test";
import assert from "node:assert/strict";
import { parseHash, compile, matchRoute, buildHash } from "../js/router.js";

test("parseHash splits path and query and drops empty values", () => {
  assert.deepEqual(parseHash("#/books?q=dune&subject=Science%20fiction&page=2&language="), {
    path: "/books",
    query: { q: "dune", subject: "Science fiction", page: "2" },
  });
});

test("parseHash normalises missing hash, missing slash and trailing slashes", () => {
  assert.deepEqual(parseHash(""), { path: "/", query: {} });
  assert.deepEqual(parseHash("#"), { path: "/", query: {} });
  assert.deepEqual(parseHash("#books/"), { path: "/books", query: {} });
  assert.deepEqual(parseHash("#/books/12/"), { path: "/books/12", query: {} });
  assert.deepEqual(parseHash(undefined), { path: "/", query: {} });
});

test("parseHash decodes + and percent escapes in the query", () => {
  assert.equal(parseHash("#/books?q=le+guin").query.q, "le guin");
  assert.equal(parseHash("#/books?q=caf%C3%A9").query.q, "café");
});

test("compile matches named segments exactly", () => {
  const match = compile("/books/:id/edit");
  assert.deepEqual(match("/books/42/edit"), { id: "42" });
  assert.equal(match("/books/42"), null);
  assert.equal(match("/books//edit"), null);
  assert.equal(match("/books/42/edit/more"), null);
});

test("compile escapes regex characters in literal segments", () => {
  assert.equal(compile("/a.b")("/axb"), null);
  assert.deepEqual(compile("/a.b")("/a.b"), {});
});

const routes = [
  { pattern: "/books", name: "list" },
  { pattern: "/books/new", name: "new" },
  { pattern: "/books/:id", name: "detail", params: { id: /^\d+$/ } },
  { pattern: "/books/:id/edit", name: "edit", params: { id: /^\d+$/ } },
  { pattern: "/authors/:id", name: "author", params: { id: /^\d+$/ } },
];

test("matchRoute picks the first matching route", () => {
  assert.equal(matchRoute(routes, "/books").route.name, "list");
  assert.equal(matchRoute(routes, "/books/new").route.name, "new");
  assert.deepEqual(matchRoute(routes, "/books/7").params, { id: "7" });
  assert.equal(matchRoute(routes, "/books/7/edit").route.name, "edit");
  assert.equal(matchRoute(routes, "/authors/3").route.name, "author");
});

test("matchRoute rejects params that fail their validator, and unknown paths", () => {
  assert.equal(matchRoute(routes, "/books/abc"), null);
  assert.equal(matchRoute(routes, "/authors/3x"), null);
  assert.equal(matchRoute(routes, "/nope"), null);
  assert.equal(matchRoute(routes, "/"), null);
});

test("matchRoute decodes params", () => {
  const table = [{ pattern: "/subjects/:name" }];
  assert.deepEqual(matchRoute(table, "/subjects/Science%20fiction").params, { name: "Science fiction" });
});

test("buildHash leaves out empty values and defaults", () => {
  assert.equal(buildHash("/books"), "#/books");
  assert.equal(
    buildHash("/books", { q: "dune", subject: "", language: null, sort: "title", page: 2 }, { sort: "title", page: 1 }),
    "#/books?q=dune&page=2",
  );
  assert.equal(buildHash("/books", { page: 1 }, { page: 1 }), "#/books");
});

test("buildHash and parseHash round-trip awkward values", () => {
  const query = { q: "war & peace = 100%?", subject: "Science fiction" };
  assert.deepEqual(parseHash(buildHash("/books", query)), { path: "/books", query });
});

test("safeNextHash accepts this app's hash routes only", async () => {
  const { safeNextHash } = await import("../js/router.js");
  assert.equal(safeNextHash("#/books/4/edit"), "#/books/4/edit");
  assert.equal(safeNextHash("#/books?q=le+guin&page=2"), "#/books?q=le+guin&page=2");
  for (const bad of [
    undefined, null, "", "books", "/books", "#books", "https://evil.example/", "//evil.example",
    "javascript:alert(1)", "#//evil.example", "#/\\evil.example", "#/books\n", "#/ books", "#/login",
    "#/login?next=%23%2Fbooks", "#/", `#/${"x".repeat(2001)}`, 42,
  ]) {
    assert.equal(safeNextHash(bad), "#/books", `refused ${JSON.stringify(bad)}`);
  }
  assert.equal(safeNextHash("https://evil.example/", null), null);
});

test("loginHash carries the page to come back to", async () => {
  const { loginHash, parseHash } = await import("../js/router.js");
  assert.equal(loginHash("#/books/4/edit"), "#/login?next=%23%2Fbooks%2F4%2Fedit");
  assert.equal(parseHash(loginHash("#/books?q=a&page=2")).query.next, "#/books?q=a&page=2");
  assert.equal(loginHash("#/books"), "#/login");
  assert.equal(loginHash("#/login?next=%23%2Fbooks%2F4"), "#/login");
  assert.equal(loginHash("https://evil.example/"), "#/login");
});
