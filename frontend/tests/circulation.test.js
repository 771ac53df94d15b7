import test from "node:test";
import assert from "node:assert/strict";
import {
  ordinal, availabilityText, availabilitySummary, holdsText, copyStatusLabel, copyActions, copyBody,
  dueStatus, renewalsText, renewOffer, retireChoice, lookupOutcome, holdStatusText, holdPlacedText, sortHolds, sortLoans, loansOfLimit,
  memberListState, memberListApiParams, memberListHash, newMemberBody,
  deskQueryState, deskHash, initialDesk, deskReduce, canScan, deskLogText, holdShelfText, problemOf,
} from "../js/circulation.js";
import { ApiError } from "../js/api.js";

test("ordinal", () => {
  const cases = { 1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 10: "10th", 11: "11th", 12: "12th", 13: "13th",
    21: "21st", 22: "22nd", 23: "23rd", 101: "101st", 111: "111th", 112: "112th", 1002: "1,002nd" };
  for (const [n, text] of Object.entries(cases)) assert.equal(ordinal(Number(n)), text, n);
  assert.equal(ordinal("x"), "");
});

test("availability in words", () => {
  assert.equal(availabilityText({ available: 2, total: 3, holds: 1 }), "2 of 3 available");
  assert.equal(availabilityText({ available: 0, total: 3, holds: 0 }), "None of 3 available");
  assert.equal(availabilityText({ available: 0, total: 0, holds: 0 }), "No copies");
  assert.equal(availabilityText(undefined), "No copies");
  assert.equal(holdsText({ holds: 1 }), "1 waiting");
  assert.equal(holdsText({ holds: 0 }), "");
  assert.deepEqual(availabilitySummary({ available: 3, total: 3, holds: 0 }), { kind: "available", text: "Available" });
  assert.deepEqual(availabilitySummary({ available: 1, total: 3, holds: 0 }), { kind: "available", text: "Available: 1 of 3" });
  assert.deepEqual(availabilitySummary({ available: 0, total: 2, holds: 2 }), { kind: "out", text: "All copies out, 2 waiting" });
  assert.deepEqual(availabilitySummary({ available: 0, total: 2, holds: 0 }), { kind: "out", text: "All copies out" });
  assert.deepEqual(availabilitySummary({ available: 0, total: 0, holds: 0 }), { kind: "none", text: "No copies" });
  assert.equal(availabilitySummary(undefined), null);
});

test("copies: labels, actions and the add-copy body", () => {
  assert.equal(copyStatusLabel("on_hold_shelf"), "On the hold shelf");
  assert.equal(copyStatusLabel("on_loan"), "On loan");
  assert.equal(copyStatusLabel("mystery"), "mystery");
  assert.deepEqual(copyActions({ status: "available" }), ["withdrawn", "lost"]);
  assert.deepEqual(copyActions({ status: "available", deletable: true }), ["withdrawn", "lost", "delete"]);
  assert.deepEqual(copyActions({ status: "on_loan", deletable: false }), []);
  assert.deepEqual(copyActions({ status: "on_hold_shelf" }), []);
  assert.deepEqual(copyActions({ status: "lost" }), ["available", "withdrawn"]);
  assert.deepEqual(copyActions({ status: "withdrawn", deletable: true }), ["available", "delete"]);
  assert.deepEqual(copyBody({ barcode: " B1 ", location: "", call_number: " 823 LEG ", notes: undefined }),
    { barcode: "B1", location: null, call_number: "823 LEG", notes: null });
});

test("due dates: upcoming, today, overdue (the API's flag wins), returned", () => {
  const now = new Date("2026-11-20T10:00:00Z");
  assert.deepEqual(dueStatus({ due_at: "2026-11-27T12:00:00Z", overdue: false }, now),
    { overdue: false, text: "Due 27 November 2026 (in 7 days)" });
  assert.deepEqual(dueStatus({ due_at: "2026-11-21T12:00:00Z" }, now), { overdue: false, text: "Due tomorrow, 21 November 2026" });
  assert.deepEqual(dueStatus({ due_at: "2026-11-20T23:00:00Z" }, now), { overdue: false, text: "Due today, 20 November 2026" });
  assert.deepEqual(dueStatus({ due_at: "2026-11-15T12:00:00Z", overdue: true }, now),
    { overdue: true, text: "Overdue: was due 15 November 2026 (5 days ago)" });
  assert.deepEqual(dueStatus({ due_at: "2026-11-19T12:00:00Z", overdue: true }, now),
    { overdue: true, text: "Overdue: was due 19 November 2026 (1 day ago)" });
  // No flag: compared with now.
  assert.equal(dueStatus({ due_at: "2026-11-20T09:00:00Z" }, now).overdue, true);
  assert.equal(dueStatus({ due_at: "2026-11-20T09:00:00Z" }, now).text, "Overdue: was due 20 November 2026");
  // The server's clock decides when it says so.
  assert.equal(dueStatus({ due_at: "2026-11-10T00:00:00Z", overdue: false }, now).overdue, false);
  assert.deepEqual(dueStatus({ due_at: "2026-11-10T00:00:00Z", returned_at: "2026-11-04T09:00:00Z" }, now),
    { overdue: false, text: "Returned 4 November 2026" });
  assert.deepEqual(dueStatus(null), { overdue: false, text: "" });
});

test("renewals", () => {
  assert.equal(renewalsText({ renewals: 0, max_renewals: 2 }), "Not renewed yet (2 renewals allowed)");
  assert.equal(renewalsText({ renewals: 1, max_renewals: 2 }), "Renewed 1 of 2 times");
  assert.equal(renewalsText({ renewals: 2, max_renewals: 2 }), "Renewed 2 of 2 times: no renewals left");
  assert.equal(renewalsText({ renewals: 0, max_renewals: 0 }), "Cannot be renewed");
});

test("holds: status, queue position and the placed message", () => {
  assert.equal(holdStatusText({ status: "waiting", position: 2 }), "2nd in line");
  assert.equal(holdStatusText({ status: "waiting", position: 1 }), "1st in line: next copy back is yours");
  assert.equal(holdStatusText({ status: "waiting", position: null }), "Waiting");
  assert.equal(holdStatusText({ status: "ready", pickup_by: "2026-12-03T17:00:00Z" }), "Ready: pick up by 3 December 2026");
  assert.equal(holdStatusText({ status: "ready", pickup_by: null }), "Ready to pick up");
  assert.equal(holdStatusText({ status: "expired" }), "Expired: not picked up");
  assert.equal(holdPlacedText({ status: "waiting", position: 3 }), "Hold placed. You are 3rd in line.");
  assert.equal(holdPlacedText({ status: "ready", pickup_by: "2026-12-03T17:00:00Z" }),
    "Hold placed. A copy is waiting for you: pick it up by 3 December 2026.");
  const sorted = sortHolds([
    { id: 1, status: "cancelled", placed_at: "2026-01-01" },
    { id: 2, status: "waiting", position: 3 },
    { id: 3, status: "ready" },
    { id: 4, status: "waiting", position: 1 },
  ]);
  assert.deepEqual(sorted.map((h) => h.id), [3, 4, 2, 1]);
  assert.deepEqual(sortLoans([
    { id: 1, due_at: "2026-12-01", overdue: false },
    { id: 2, due_at: "2026-12-05", overdue: true },
    { id: 3, due_at: "2026-11-25", overdue: false },
  ]).map((l) => l.id), [2, 3, 1]);
});

test("members list state lives in the URL", () => {
  assert.deepEqual(memberListState({ q: " ada ", status: "suspended", page: "2" }), { q: "ada", status: "suspended", page: 2 });
  assert.deepEqual(memberListState({ status: "nope", page: "-1" }), { q: "", status: "", page: 1 });
  assert.deepEqual(memberListApiParams({ q: "ada", status: "", page: 1 }), { q: "ada", page: 1, per_page: 20 });
  assert.equal(memberListHash({ q: "", status: "", page: 1 }), "#/members");
  assert.equal(memberListHash({ q: "ada", status: "", page: 3 }, { status: "active" }), "#/members?q=ada&status=active");
  assert.equal(memberListHash({ q: "ada", status: "", page: 1 }, { page: 2 }), "#/members?q=ada&page=2");
  assert.equal(loansOfLimit(3, 5), "3 of 5 loans");
  assert.equal(loansOfLimit(1, null), "1 loan");
  assert.deepEqual(newMemberBody({ card_number: " 42 ", name: " Ada ", email: "", phone: " 555 " }),
    { card_number: "42", name: "Ada", email: null, phone: "555" });
});

test("desk URL state", () => {
  assert.deepEqual(deskQueryState({}), { mode: "checkout", card: "" });
  assert.deepEqual(deskQueryState({ mode: "return", card: " 7 " }), { mode: "return", card: "7" });
  assert.deepEqual(deskQueryState({ mode: "other" }), { mode: "checkout", card: "" });
  assert.equal(deskHash({}), "#/desk");
  assert.equal(deskHash({ mode: "checkout", card: "C 1" }), "#/desk?card=C+1");
  assert.equal(deskHash({ mode: "return", card: "C1" }), "#/desk?mode=return");
});

const member = { id: 5, card_number: "C-1", name: "Ada Reader", status: "active", active_loans: 1 };
const loan = (over = {}) => ({ id: 9, copy_id: 3, barcode: "B-1", book_id: 2, book_title: "Dune", member_id: 5,
  member_name: "Ada Reader", due_at: "2026-12-01T12:00:00Z", overdue: false, ...over });

test("desk: look a member up, then scan to check out", () => {
  let s = initialDesk();
  assert.equal(canScan(s), false);
  s = deskReduce(s, { type: "lookup", card: "  C-1 " });
  assert.equal(s.lookup, "pending");
  assert.equal(s.card, "C-1");
  assert.equal(canScan(s), false);
  s = deskReduce(s, { type: "member", member, holds: [{ id: 1 }] });
  assert.equal(s.lookup, "found");
  assert.equal(canScan(s), true);
  s = deskReduce(s, { type: "scan", barcode: "B-1" });
  assert.equal(s.busy, true);
  assert.equal(canScan(s), true); // the next scan waits its turn
  assert.equal(deskReduce(s, { type: "idle" }).busy, false);
  s = deskReduce(s, { type: "checked-out", loan: loan() });
  assert.equal(s.busy, false);
  assert.equal(s.member.active_loans, 2);
  assert.equal(s.log.length, 1);
  assert.equal(deskLogText(s.log[0]), "Checked out “Dune” (B-1) to Ada Reader: due 1 December 2026.");

  const refused = new ApiError({ status: 409, title: "Conflict", detail: "Limit reached: 5 loans" });
  s = deskReduce(deskReduce(s, { type: "scan" }), { type: "refused", barcode: "B-2", error: refused });
  assert.equal(s.log[0].kind, "error");
  assert.equal(s.log[0].id, 2); // newest first
  assert.equal(deskLogText(s.log[0]), "Checkout of B-2 refused: Limit reached: 5 loans");

  const unknown = new ApiError({ status: 422, title: "Invalid data", detail: "The request has invalid fields; see errors.", errors: { barcode: ["No copy with barcode ZZ"] } });
  s = deskReduce(s, { type: "refused", barcode: "ZZ", error: unknown });
  assert.equal(deskLogText(s.log[0]), "Checkout of ZZ refused: No copy with barcode ZZ");

  // A refusal answered after switching to returns is still logged as a checkout's.
  s = deskReduce(deskReduce(s, { type: "mode", mode: "return" }), { type: "refused", barcode: "B-3", error: refused, mode: "checkout" });
  assert.match(deskLogText(s.log[0]), /^Checkout of B-3/);
  s = deskReduce(s, { type: "mode", mode: "checkout" });
  s = deskReduce(s, { type: "clear" });
  assert.equal(canScan(s), false);
  assert.equal(s.member, null);
  assert.equal(s.log.length, 4); // the session log stays
});

test("problemOf picks the most specific message", () => {
  const see = "The request has invalid fields; see errors.";
  assert.equal(problemOf(new ApiError({ status: 422, detail: see, errors: { card_number: ["No member with card X."] } }), ["barcode", "card_number"]).detail, "No member with card X.");
  assert.equal(problemOf(new ApiError({ status: 422, detail: see, errors: { other: ["Odd."] } }), ["barcode"]).detail, "Odd.");
  assert.equal(problemOf(new ApiError({ status: 409, detail: "Limit reached: 5 loans", errors: {} }), ["barcode"]).detail, "Limit reached: 5 loans");
  assert.equal(problemOf(new ApiError({ status: 0, title: "Cannot reach the server" })).detail, "");
});

test("desk: unknown card, failed lookup, and a blank card", () => {
  let s = deskReduce(initialDesk(), { type: "lookup", card: "nope" });
  s = deskReduce(s, { type: "missing" });
  assert.equal(s.lookup, "missing");
  assert.equal(s.problem.detail, "No member has the card number or name “nope”.");
  s = deskReduce(s, { type: "lookup", card: "x" });
  s = deskReduce(s, { type: "lookup-failed", error: new ApiError({ status: 0, title: "Cannot reach the server", detail: "Try again." }) });
  assert.equal(s.lookup, "failed");
  assert.equal(s.problem.detail, "Try again.");
  assert.equal(deskReduce(s, { type: "lookup", card: "  " }).lookup, "idle");
  // A lookup answer for another member is ignored by member-updated.
  const found = deskReduce(s, { type: "member", member });
  assert.equal(deskReduce(found, { type: "member-updated", member: { id: 99 } }).member.id, 5);
  assert.equal(deskReduce(found, { type: "member-updated", member: { ...member, active_loans: 4 } }).member.active_loans, 4);
});

test("desk: returns need no member; a hold sends the copy to the shelf", () => {
  let s = deskReduce(initialDesk(), { type: "mode", mode: "return" });
  assert.equal(canScan(s), true);
  assert.equal(deskReduce(s, { type: "mode", mode: "bogus" }).mode, "return");
  s = deskReduce(s, { type: "returned", loan: loan({ overdue: true }), hold: { member_name: "Grace Hopper", pickup_by: "2026-12-03T17:00:00Z" } });
  const entry = s.log[0];
  assert.equal(deskLogText(entry), "Returned “Dune” (B-1) from Ada Reader. It was overdue.");
  assert.equal(holdShelfText(entry.holdFor), "Put on hold shelf for Grace Hopper (pickup by 3 December 2026)");
  s = deskReduce(s, { type: "returned", loan: loan(), hold: { member_name: "Ann", pickup_by: null, member_has_email: false } });
  assert.equal(holdShelfText(s.log[0].holdFor), "Put on hold shelf for Ann: no e-mail address, tell them another way");
  s = deskReduce(s, { type: "returned", loan: loan(), hold: null });
  assert.equal(s.log[0].holdFor, null);
  assert.equal(holdShelfText(null), "");
  s = deskReduce(s, { type: "refused", barcode: "B-1", error: new ApiError({ status: 409, title: "Conflict", detail: "Copy B-1 is not on loan." }) });
  assert.equal(deskLogText(s.log[0]), "Return of B-1 refused: Copy B-1 is not on loan.");
});


test("renewals are offered only when they would be granted, with the new due date", () => {
  assert.deepEqual(renewOffer({ renewable: true, renewal_due_at: "2026-12-24T10:00:00Z", renewal_refusal: null }),
    { offer: true, label: "Renew until 24 December 2026", reason: "" });
  assert.deepEqual(renewOffer({ renewable: false, renewal_due_at: null, renewal_refusal: "Renewal limit reached (2)." }),
    { offer: false, label: "", reason: "Renewal limit reached (2)." });
  assert.equal(renewOffer({ renewable: false }).reason, "This loan cannot be renewed.");
  assert.equal(renewOffer({ returned_at: "2026-12-01T00:00:00Z", renewable: true }).offer, false);
});

test("a book leaves the catalog by delete, archive, or not before its copies are withdrawn", () => {
  assert.deepEqual(retireChoice([]), { action: "delete", inService: 0 });
  assert.deepEqual(retireChoice([{ status: "withdrawn", deletable: true }]), { action: "delete", inService: 0 });
  assert.deepEqual(retireChoice([{ status: "withdrawn", deletable: false }, { status: "withdrawn", deletable: true }]),
    { action: "archive", inService: 0 });
  assert.deepEqual(retireChoice([{ status: "lost", deletable: false }, { status: "available", deletable: true }]),
    { action: "blocked", inService: 2 });
});

test("the desk's card field: an exact card in any case, the only match, or a choice", () => {
  const ada = { id: 1, card_number: "DEMO-M01", name: "Ada" };
  const ann = { id: 2, card_number: "DEMO-M010", name: "Ann" };
  assert.deepEqual(lookupOutcome("demo-m01", [ada, ann]), { pick: ada });
  assert.deepEqual(lookupOutcome("ann", [ann]), { pick: ann });
  assert.deepEqual(lookupOutcome("a", [ada, ann]), { choices: [ada, ann] });
  assert.deepEqual(lookupOutcome("zed", []), {});
  let desk = deskReduce(initialDesk(), { type: "lookup", card: "a" });
  desk = deskReduce(desk, { type: "choices", members: [ada, ann] });
  assert.equal(desk.lookup, "choose");
  assert.deepEqual(desk.choices, [ada, ann]);
  desk = deskReduce(desk, { type: "member", member: ann, holds: [] });
  assert.equal(desk.lookup, "found");
  assert.equal(desk.card, "DEMO-M010");
  assert.deepEqual(desk.choices, []);
  assert.equal(deskReduce(deskReduce(initialDesk(), { type: "lookup", card: "zed" }), { type: "missing" }).problem.detail,
    "No member has the card number or name “zed”.");
});

test("the desk's return mode: a pulled copy is captured, an expired hold cleared", () => {
  const hold = { id: 9, book_id: 3, book_title: "Dune", copy_barcode: "B-1", member_name: "Ada", pickup_by: "2026-12-08T10:00:00Z" };
  let desk = deskReduce(initialDesk({ mode: "return" }), { type: "returned", action: "captured", loan: null, hold, cleared: null });
  assert.equal(desk.log[0].kind, "capture");
  assert.equal(deskLogText(desk.log[0]), "Pulled “Dune” (B-1) for a hold.");
  assert.equal(holdShelfText(desk.log[0].holdFor), "Put on hold shelf for Ada (pickup by 8 December 2026)");
  const cleared = { ...hold, member_name: "Bob", status: "expired" };
  desk = deskReduce(desk, { type: "returned", action: "cleared", loan: null, hold: null, cleared });
  assert.equal(deskLogText(desk.log[0]),
    "Cleared Bob’s hold on “Dune” (B-1), not picked up in time: put the copy back on its shelf.");
  desk = deskReduce(desk, { type: "returned", action: "cleared", loan: null, hold, cleared });
  assert.equal(deskLogText(desk.log[0]), "Cleared Bob’s hold on “Dune” (B-1), not picked up in time.");
  assert.equal(desk.log[0].holdFor.name, "Ada");
});
