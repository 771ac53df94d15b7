import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describeSummary } from "../js/auditlog.js";
import { setCatalog } from "../js/i18n.js";

const catalog = (lang) => JSON.parse(readFileSync(new URL(`../locales/${lang}.json`, import.meta.url), "utf8"));

test("an audit summary reads in the page's language: field names, settings and coded values", (t) => {
  t.after(() => setCatalog("en"));
  const summaries = [
    ["copy.update", { status: ["available", "lost"], last_loaned_at: ["2026-11-01", "2026-11-30"], barcode: "C1" }],
    ["member.update", { status: ["active", "suspended"], must_change_password: [false, true] }],
    ["user.update", { password: "changed", role: ["member", "librarian"] }],
    ["settings.update", { loan_days: [21, 28], self_registration: [false, true] }],
    ["hold.cancel", { reason: "books merged", into: 4 }],
    ["auth.lockout", { client: "127.0.0.1", scope: "account", failures: 10, retry_after: 900 }],
    ["import.commit", { import: 3, filename: "books.mrc", policy: "add_copies" }],
    ["import.done", { records: 10, new: 8, likely_duplicate: 1, copies_added: 2, warnings: 0 }],
    ["notice.resend", { notice_id: 5, kind: "overdue", to: "ann@example.org" }],
  ];
  setCatalog("fr", catalog("fr"));
  const french = summaries.map(([action, summary]) => describeSummary(action, summary));
  assert.deepEqual(french[0], ["état : Disponible → Perdu", "dernier prêt : 2026-11-01 → 2026-11-30", "code-barres : C1"]);
  assert.deepEqual(french[2], ["mot de passe : modifié", "rôle : Adhérent → Bibliothécaire"]);
  assert.equal(french[4][0], "motif : livres fusionnés");
  assert.equal(french[6][2], "règle des doublons : Ajouter les exemplaires au livre existant");
  // No line starts with an English field name, nor says an English code.
  const english = /^(status|last loaned at|barcode|must change password|password|role|loan days|self registration|reason|into|client|scope|failures|retry after|filename|policy|records|new|likely duplicate|copies added|warnings|notice id|kind|to)\b|\b(changed|books merged|account|add_copies|overdue|suspended|active|librarian)\b/;
  for (const line of french.flat()) assert.doesNotMatch(line, english, line);
  setCatalog("es", catalog("es"));
  assert.deepEqual(describeSummary("settings.update", { loan_days: [21, 28] }), ["Periodo de préstamo (días): 21 → 28"]);
});
