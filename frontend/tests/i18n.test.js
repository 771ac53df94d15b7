import { test } from "node:test";
import assert from "node:assert/strict";
import { setCatalog, t, tn } from "../js/i18n.js";

test("t: English passes through with placeholders filled", () => {
  setCatalog("en");
  assert.equal(t("Due {date}", { date: "1 May" }), "Due 1 May");
  assert.equal(t("No {thing}"), "No {thing}");
});

test("t and tn: a catalog's translation and plural categories", () => {
  setCatalog("fr", { "Due {date}": "Retour le {date}", "{count} copies": { one: "{count} exemplaire", other: "{count} exemplaires" } });
  assert.equal(t("Due {date}", { date: "1 mai" }), "Retour le 1 mai");
  assert.equal(tn(0, "{count} copy", "{count} copies"), "0 exemplaire"); // French: 0 is "one"
  assert.equal(tn(1500, "{count} copy", "{count} copies"), "1\u202f500 exemplaires");
  assert.equal(t("Missing"), "Missing");
  setCatalog("en");
  assert.equal(tn(1, "{count} copy", "{count} copies"), "1 copy");
  assert.equal(tn(2, "{count} copy", "{count} copies"), "2 copies");
});
