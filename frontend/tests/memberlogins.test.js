import test from "node:test";
import assert from "node:assert/strict";
import {
  memberLoginBody, memberPatchBody, mustChangePassword, renameErrors, tooManyRequests,
} from "../js/accounts.js";
import { ApiError } from "../js/api.js";
import { SETTINGS_FIELDS, sections, formValue, parseValue, settingsPatch } from "../js/settingsform.js";
import {
  auditListState, auditApiParams, auditListHash, nextDay, describeSummary, actionLabel, resourceHash,
} from "../js/auditlog.js";

test("a new card's login: none, a link, or a temporary password; the login email defaults to the card's", () => {
  assert.equal(memberLoginBody({ mode: "none", email: "a@b.org" }), null);
  assert.equal(memberLoginBody({}), null);
  assert.deepEqual(memberLoginBody({ mode: "link", login_email: "", email: " card@b.org " }), { email: "card@b.org" });
  assert.deepEqual(memberLoginBody({ mode: "link", login_email: " own@b.org ", email: "card@b.org" }), { email: "own@b.org" });
  assert.deepEqual(memberLoginBody({ mode: "temporary", login_email: "x@b.org", temporary_password: " spaced pass " }),
    { email: "x@b.org", temporary_password: " spaced pass " });
});

test("a member edit sends only what changed; empty contact fields become null", () => {
  const member = { name: "Ann", card_number: "M1", email: "ann@b.org", phone: null };
  assert.deepEqual(memberPatchBody(member, { name: " Ann ", card_number: "M1", email: "ann@b.org", phone: "" }), {});
  assert.deepEqual(memberPatchBody(member, { name: "Ann Lee", card_number: "M2", email: " ", phone: "555" }),
    { name: "Ann Lee", card_number: "M2", email: null, phone: "555" });
  assert.deepEqual(memberPatchBody(member, { email: "new@b.org", phone: "" }, ["email", "phone"]), { email: "new@b.org" });
  assert.deepEqual(memberPatchBody({ ...member, language: "fr" }, { language: "" }, ["language"]), { language: null });
  assert.deepEqual(memberPatchBody(member, { language: "es" }, ["language"]), { language: "es" });
});

test("field errors are renamed for the form's controls", () => {
  assert.deepEqual(renameErrors({ "login.email": ["taken"], name: ["empty"] }, { "login.email": "login_email" }),
    { login_email: ["taken"], name: ["empty"] });
  assert.deepEqual(renameErrors(undefined, {}), {});
});

test("a temporary password is noticed from the user", () => {
  assert.equal(mustChangePassword({ must_change_password: true }), true);
  assert.equal(mustChangePassword({ must_change_password: false }), false);
  assert.equal(mustChangePassword(null), false);
});

test("too many requests: the wait in seconds or minutes", () => {
  assert.equal(tooManyRequests(new ApiError({ status: 429, retryAfter: 1 })), "Too many requests: try again in 1 second.");
  assert.equal(tooManyRequests(new ApiError({ status: 429, retryAfter: 90 })), "Too many requests: try again in 90 seconds.");
  assert.equal(tooManyRequests(new ApiError({ status: 429, retryAfter: 3541 })), "Too many requests: try again in 60 minutes.");
  assert.equal(tooManyRequests(new ApiError({ status: 429, retryAfter: 61 * 2 })), "Too many requests: try again in 3 minutes.");
  assert.equal(tooManyRequests(new ApiError({ status: 429 })), "Too many requests: try again later.");
});

test("settings: one table entry per setting, grouped in sections in order", () => {
  const keys = SETTINGS_FIELDS.map((f) => f.key);
  assert.equal(new Set(keys).size, keys.length);
  for (const key of ["library_name", "loan_days", "max_renewals", "max_loans", "max_holds", "hold_pickup_days", "self_registration",
    "hold_auto_expire", "notice_due_soon_days", "notice_overdue_every_days", "notice_overdue_max",
    "copy_barcode_prefix", "card_number_prefix", "barcode_digits", "default_language"]) {
    assert.ok(keys.includes(key), key);
  }
  for (const field of SETTINGS_FIELDS) {
    assert.ok(field.section && field.label && ["text", "integer", "boolean", "language"].includes(field.type), field.key);
    if (field.type === "integer") assert.ok(field.min <= field.max, field.key);
  }
  assert.deepEqual(sections().map((s) => s.name), ["The library", "Loans", "Holds", "Members", "Notices", "Barcodes and cards"]);
  const fake = [{ section: "B", key: "b" }, { section: "A", key: "a" }, { section: "B", key: "c" }];
  assert.deepEqual(sections(fake).map((s) => [s.name, s.fields.map((f) => f.key)]), [["B", ["b", "c"]], ["A", ["a"]]]);
});

test("settings: values to and from the form, and a PATCH of what changed only", () => {
  const int = { key: "loan_days", type: "integer" };
  assert.equal(formValue(int, 21), "21");
  assert.equal(formValue({ type: "boolean" }, 0), false);
  assert.equal(parseValue(int, " 28 "), 28);
  assert.equal(parseValue(int, "2.5"), "2.5"); // as typed: the server's 422 says why
  assert.equal(parseValue(int, "12345678901"), "12345678901");
  assert.equal(parseValue({ type: "text" }, "  Riverside  "), "Riverside");
  assert.equal(parseValue({ type: "language" }, "fr"), "fr");
  assert.equal(formValue({ type: "language" }, "es"), "es");
  const current = { library_name: "Library", loan_days: 21, max_renewals: 2, max_loans: 5, max_holds: 5,
    hold_pickup_days: 7, self_registration: false };
  const raw = { library_name: "Library ", loan_days: "21", max_renewals: "3", max_loans: "5", max_holds: "5",
    hold_pickup_days: "seven", self_registration: true };
  assert.deepEqual(settingsPatch(current, raw), { max_renewals: 3, hold_pickup_days: "seven", self_registration: true });
  assert.deepEqual(settingsPatch(current, { loan_days: "21" }), {});
});

test("the audit trail's filters live in the hash and cover whole days", () => {
  const state = auditListState({ actor_email: " a@b.org ", action: "book.update", resource_type: "book",
    resource_id: "12", since: "2026-11-01", until: "2026-11-30", page: "2" });
  assert.deepEqual(state, { actor_email: "a@b.org", action: "book.update", resource_type: "book", resource_id: "12",
    since: "2026-11-01", until: "2026-11-30", page: 2 });
  assert.deepEqual(auditApiParams(state), { page: 2, per_page: 20, actor_email: "a@b.org", action: "book.update",
    resource_type: "book", resource_id: "12", since: "2026-11-01T00:00:00Z", until: "2026-12-01T00:00:00Z" });
  assert.deepEqual(auditListState({ resource_type: "planet", resource_id: "1", since: "yesterday", until: "2026-02-30" }),
    { actor_email: "", action: "", resource_type: "", resource_id: "", since: "", until: "", page: 1 });
  assert.equal(auditListState({ resource_type: "book", resource_id: "0" }).resource_id, "");
  assert.equal(auditListHash(state, { page: 3 }),
    "#/admin/audit?actor_email=a%40b.org&action=book.update&resource_type=book&resource_id=12&since=2026-11-01&until=2026-11-30&page=3");
  assert.equal(auditListHash(state, { actor_email: "c@d.org" }).includes("page="), false); // a new filter: page 1
  assert.equal(auditListHash(auditListState({})), "#/admin/audit");
  assert.equal(nextDay("2026-12-31"), "2027-01-01");
  assert.equal(nextDay("2028-02-28"), "2028-02-29");
});

test("audit events in words", () => {
  assert.deepEqual(describeSummary("settings.update", { loan_days: [21, 28], library_name: ["Library", "Riverside"] }),
    ["Loan period (days): 21 → 28", "Library name: Library → Riverside"]); // as the settings page calls them
  assert.deepEqual(describeSummary("book.create", { title: "Dune", authors: ["Frank Herbert", "Brian Herbert"] }),
    ["title: Dune", "authors: Frank Herbert, Brian Herbert"]); // a new book's two authors are not a change
  assert.deepEqual(describeSummary("user.update", { password: "changed", is_active: [true, false], email: [null, "x"] }),
    ["password: changed", "is active: yes → no", "email: (none) → x"]);
  assert.deepEqual(describeSummary("auth.login", {}), []);
  assert.equal(actionLabel("book.update"), "Changed a book");
  assert.equal(actionLabel("something.new"), "something.new");
  assert.equal(resourceHash({ resource_type: "member", resource_id: 4 }), "#/members/4");
  assert.equal(resourceHash({ resource_type: "user", resource_id: 2 }), "#/admin/users/2");
  assert.equal(resourceHash({ resource_type: "loan", resource_id: 2 }), null);
  assert.equal(resourceHash({ resource_type: null, resource_id: null }), null);
});
