import { test } from "node:test";
import assert from "node:assert/strict";
import {
  exportParams, formatBytes, importStep, isRunning, mappingFormValues, mappingFromForm, progressOf, progressText,
  recordLabel, resultFigures,
} from "../js/intake.js";

test("an import's step and whether it is running", () => {
  assert.equal(importStep({ state: "uploaded" }), "mapping");
  assert.equal(importStep({ state: "previewed" }), "preview");
  assert.equal(importStep({ state: "weird" }), "failed");
  assert.equal(isRunning({ state: "importing" }), true);
  assert.equal(isRunning({ state: "done" }), false);
});

test("progress from the job, with or without a total", () => {
  assert.deepEqual(progressOf({ job: { progress_done: 50, progress_total: 200 } }), { done: 50, total: 200, percent: 25 });
  assert.deepEqual(progressOf({ job: { progress_done: 5, progress_total: null } }), { done: 5, total: null, percent: null });
  assert.deepEqual(progressOf({ job: null }), { done: 0, total: null, percent: null });
  assert.equal(progressText({ done: 1200, total: 5000 }), "1,200 of 5,000 records");
  assert.equal(progressText({ done: 1, total: null }), "1 record");
});

test("sizes, record labels and the report's figures", () => {
  assert.equal(formatBytes(512), "512 bytes");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(200 * 1024 * 1024), "200 MB");
  assert.equal(recordLabel({ line: 4, record: 3 }), "line 4");
  assert.equal(recordLabel({ record: 3 }), "record 3");
  const figures = resultFigures({ added: 3, copies_added: 4, merged: 0, skipped: 2, invalid: 1, warnings: 0 });
  assert.deepEqual(figures.map((f) => [f.key, f.value]), [["added", 3], ["copies_added", 4], ["skipped", 2], ["invalid", 1]]);
});

test("the CSV mapping form: the suggestion first, checked like the server checks it", () => {
  const imp = { columns: ["Title", "Writer", "Price"], mapping: null, suggested_mapping: { fields: ["title", "authors", null], separator: "," } };
  assert.deepEqual(mappingFormValues(imp), { fields: ["title", "authors", ""], separator: "," });
  assert.deepEqual(mappingFromForm({ fields: ["title", "authors", ""], separator: "," }),
    { mapping: { fields: ["title", "authors", null], separator: "," }, problems: [] });
  assert.equal(mappingFromForm({ fields: ["", "authors", ""], separator: ";" }).problems.length, 1);
  assert.match(mappingFromForm({ fields: ["title", "title", ""], separator: ";" }).problems[0], /Only one column/);
  assert.equal(mappingFromForm({ fields: ["title", "subjects", "subjects"], separator: ";" }).problems.length, 0);
});

test("an export takes the list's filters, not its paging", () => {
  assert.deepEqual(exportParams({ q: "dune", page: 2, per_page: 20, sort: "title", language: "en", facets: "subject", cursor: "" }),
    { q: "dune", language: "en" });
});
