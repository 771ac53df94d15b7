import { test } from "node:test";
import assert from "node:assert/strict";
import { compactIsbn, toIsbn13, readScan } from "../js/isbn.js";

test("compactIsbn keeps digits and X", () => {
  assert.equal(compactIsbn(" 0-14-032872-x "), "014032872X");
  assert.equal(compactIsbn(null), "");
});

test("toIsbn13 validates and converts", () => {
  assert.equal(toIsbn13("978-0-14-032872-1"), "9780140328721");
  assert.equal(toIsbn13("0140328726"), "9780140328721");
  assert.equal(toIsbn13("0-306-40615-2"), "9780306406157");
  assert.equal(toIsbn13("9780140328722"), null, "wrong check digit");
  assert.equal(toIsbn13("0140328727"), null);
  assert.equal(toIsbn13("1234567890123"), null, "not a Bookland EAN");
  assert.equal(toIsbn13(""), null);
});

test("readScan reads a book's EAN-13, with or without the price add-on", () => {
  assert.deepEqual(readScan("9780140328721"), { kind: "isbn", isbn: "9780140328721" });
  assert.deepEqual(readScan("978014032872151299"), { kind: "isbn", isbn: "9780140328721" });
  assert.deepEqual(readScan("DEMO-0001-1"), { kind: "other", code: "DEMO-0001-1" });
  assert.deepEqual(readScan("9780140328722"), { kind: "other", code: "9780140328722" });
  assert.equal(readScan("  "), null);
});
