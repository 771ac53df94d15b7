import { test } from "node:test";
import assert from "node:assert/strict";
import { coverUrl, coverFileProblem } from "../js/covers.js";

const id = "0123456789abcdef0123456789abcdef";
const stored = { id, list: `/covers/01/${id}-list.webp`, detail: `/covers/01/${id}-detail.webp` };

test("coverUrl prefers the stored cover in the size asked for", () => {
  assert.equal(coverUrl({ cover: stored, cover_url: "https://example.org/c.jpg" }, "list"), stored.list);
  assert.equal(coverUrl({ cover: stored }, "detail"), stored.detail);
});

test("coverUrl falls back to an https cover_url, and refuses anything else", () => {
  assert.equal(coverUrl({ cover: null, cover_url: "https://example.org/c.jpg" }), "https://example.org/c.jpg");
  assert.equal(coverUrl({ cover: null, cover_url: "javascript:alert(1)" }), null);
  assert.equal(coverUrl({ cover: { list: "//evil.example/x.webp" } }, "list"), null);
  assert.equal(coverUrl(null), null);
});

test("coverFileProblem checks type and size before uploading", () => {
  assert.equal(coverFileProblem({ type: "image/png", size: 1000 }), null);
  assert.match(coverFileProblem({ type: "image/gif", size: 1000 }), /JPEG, PNG or WebP/);
  assert.match(coverFileProblem({ type: "image/jpeg", size: 6 * 1024 * 1024 }), /larger than 5 MB/);
  assert.match(coverFileProblem(null), /Choose/);
});
