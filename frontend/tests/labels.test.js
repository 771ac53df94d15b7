import test from "node:test";
import assert from "node:assert/strict";
import { labelsState, labelsHash, sheetsFor, chosenSheet, labelsPdfUrl, sheetSummary, utcDay } from "../js/labels.js";

const SHEETS = [
  { name: "L7160", labels_per_sheet: 21, layouts: ["barcode", "spine", "card"] },
  { name: "L7651", labels_per_sheet: 65, layouts: ["barcode", "spine"] },
  { name: "C32011", labels_per_sheet: 10, layouts: ["card"] },
];

test("the labels page's state and hash", () => {
  assert.deepEqual(labelsState({}), { kind: "barcode", book: "", added: "", member: "", q: "", sheet: "", skip: 0 });
  assert.deepEqual(labelsState({ kind: "card", member: "4", sheet: "C32011", skip: "3", added: "yesterday" }),
    { kind: "card", book: "", added: "", member: 4, q: "", sheet: "C32011", skip: 3 });
  assert.equal(labelsState({ kind: "poster" }).kind, "barcode");
  const state = labelsState({ book: "7", sheet: "L7651" });
  assert.equal(labelsHash(state, { skip: 2 }), "#/desk/labels?book=7&sheet=L7651&skip=2");
  assert.equal(labelsHash(state, { kind: "spine" }), "#/desk/labels?kind=spine&book=7");  // another kind: its own sheet
});

test("sheets that fit a kind, and the one chosen", () => {
  assert.deepEqual(sheetsFor("card", SHEETS).map((s) => s.name), ["L7160", "C32011"]);
  assert.equal(chosenSheet(labelsState({ kind: "card", sheet: "C32011" }), SHEETS).name, "C32011");
  assert.equal(chosenSheet(labelsState({ kind: "card", sheet: "L7651" }), SHEETS).name, "L7160");
  assert.equal(chosenSheet(labelsState({}), []), null);
});

test("the PDF address names the ids, the sheet, the layout and the used labels", () => {
  const sheet = SHEETS[0];
  assert.equal(labelsPdfUrl(labelsState({ kind: "spine", skip: "4" }), sheet, [3, 5]),
    "/api/v1/labels/copies.pdf?copy_id=3&copy_id=5&sheet=L7160&skip=4&layout=spine");
  assert.equal(labelsPdfUrl(labelsState({ kind: "card", skip: "40" }), sheet, [9]),
    "/api/v1/labels/cards.pdf?member_id=9&sheet=L7160&skip=20");
  assert.equal(labelsPdfUrl(labelsState({}), sheet, []), null);
});

test("how many sheets it takes", () => {
  assert.equal(sheetSummary("barcode", 5, 0, 21), "5 labels on 1 sheet");
  assert.equal(sheetSummary("barcode", 5, 18, 21), "5 labels on 2 sheets");
  assert.equal(sheetSummary("card", 1, 0, 10), "1 card on 1 sheet");
  assert.equal(utcDay(new Date("2026-12-01T23:30:00Z")), "2026-12-01");
});
