import test from "node:test";
import assert from "node:assert/strict";
import { LISTS, sortOptions, staffListState, staffListParams, staffListHash, staffListCsvUrl, PER_PAGE } from "../js/stafflists.js";

test("each list's state comes from the hash, with its default sort and filters", () => {
  assert.deepEqual(staffListState("pull", {}), { sort: "placed_at", page: 1 });
  assert.deepEqual(staffListState("pull", { sort: "shelf", page: "3" }), { sort: "shelf", page: 3 });
  assert.deepEqual(staffListState("pull", { sort: "nonsense", page: "-1" }), { sort: "placed_at", page: 1 });
  assert.deepEqual(staffListState("shelf", { expired: "true" }), { sort: "pickup_by", page: 1, expired: "true" });
  assert.deepEqual(staffListState("shelf", { expired: "maybe" }), { sort: "pickup_by", page: 1, expired: "" });
  assert.deepEqual(staffListState("loans", { overdue: "true", member: "7", book: "x" }),
    { sort: "due_at", page: 1, overdue: "true", member: 7, book: "" });
  assert.deepEqual(staffListState("holds", { book: "4" }), { sort: "placed_at", page: 1, book: 4, status: "waiting" });
});

test("the API parameters add the list's fixed ones, the route's and the paging", () => {
  assert.deepEqual(staffListParams("loans", staffListState("loans", { overdue: "true", member: "7" })),
    { active: "true", sort: "due_at", page: 1, per_page: PER_PAGE, overdue: "true", member_id: 7 });
  assert.deepEqual(staffListParams("holds", staffListState("holds", { book: "4", status: "all" })),
    { sort: "placed_at", page: 1, per_page: PER_PAGE, book_id: 4 });
});

test("hashes are canonical and a new filter goes back to the first page", () => {
  const state = staffListState("shelf", { page: "4" });
  assert.equal(staffListHash("shelf", state, { expired: "true" }), "#/desk/hold-shelf?expired=true");
  assert.equal(staffListHash("shelf", state, { page: 5 }), "#/desk/hold-shelf?page=5");
  assert.equal(staffListHash("holds", staffListState("holds", { book: "4" }), { sort: "member" }), "#/desk/holds?sort=member&book=4");
});

test("the CSV address carries the filters and sort on screen, without paging", () => {
  assert.equal(staffListCsvUrl("loans", staffListState("loans", { overdue: "true", sort: "member", page: "3" })),
    "/api/v1/loans.csv?active=true&sort=member&overdue=true");
  assert.equal(staffListCsvUrl("pull", staffListState("pull", {})), "/api/v1/pull-list.csv?sort=placed_at");
  assert.equal(staffListCsvUrl("archive", staffListState("archive", {})), null);
});

test("every list names its sorts in words", () => {
  for (const name of Object.keys(LISTS)) {
    for (const option of sortOptions(name)) assert.notEqual(option.label, option.value.replace(/^-/, ""), `${name} ${option.value}`);
  }
});
