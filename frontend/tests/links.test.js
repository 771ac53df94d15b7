import test from "node:test";
import assert from "node:assert/strict";
import { parseLinkHeader } from "../js/links.js";

test("parses first/prev/next/last links", () => {
  const header =
    '<http://x/api/v1/books?per_page=2&page=1>; rel="first", <http://x/api/v1/books?per_page=2&page=2>; rel="next", ' +
    '<http://x/api/v1/books?per_page=2&page=100>; rel="last"';
  assert.deepEqual(parseLinkHeader(header), {
    first: "http://x/api/v1/books?per_page=2&page=1",
    next: "http://x/api/v1/books?per_page=2&page=2",
    last: "http://x/api/v1/books?per_page=2&page=100",
  });
});

test("handles empty and missing headers", () => {
  assert.deepEqual(parseLinkHeader(null), {});
  assert.deepEqual(parseLinkHeader(""), {});
  assert.deepEqual(parseLinkHeader("garbage"), {});
});

test("handles unquoted rel, several rels, other params and commas inside URLs", () => {
  const header = '</a?x=1,2>; title="One, two"; rel=prev, </b>;rel="next last" ; type="text/html"';
  assert.deepEqual(parseLinkHeader(header), { prev: "/a?x=1,2", next: "/b", last: "/b" });
});

test("rel names are case-insensitive and the first link for a rel wins", () => {
  assert.deepEqual(parseLinkHeader('</1>; rel="NEXT", </2>; rel="next"'), { next: "/1" });
});
