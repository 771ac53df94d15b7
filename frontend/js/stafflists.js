// The staff's lists as pure data: the pull list, the hold shelf, loans (current, overdue, by member or book), a
// book's holds queue and the archived books (a member's past loans are theirs alone: README, Privacy). For each: its URL state (sort, page and
// filters in the hash), the API parameters, the sort choices and the CSV address. No DOM here, so node --test
// covers it; views/stafflist.js draws the lists from it.

import { buildHash } from "./router.js";
import { downloadUrl } from "./api.js";
import { toPositiveInt } from "./query.js";
import { t } from "./i18n.js";

export const PER_PAGE = 50;

const yesNo = (value) => (value === "true" || value === "false" ? value : "");

/**
 * Each list: `api` (its GET), `csv` (its download, if any), `sorts` (the first is the default), `filters`
 * (query key -> normaliser; the API parameter is `apiKeys[key]` or the key) and `fixed` API parameters.
 * `route(params)` is its path; `params` are the route's own (a member's id).
 */
export const LISTS = Object.freeze({
  pull: {
    route: () => "/desk/pull-list",
    api: "/pull-list",
    csv: "/pull-list.csv",
    sorts: ["placed_at", "shelf", "call_number", "title"],
    filters: {},
  },
  shelf: {
    route: () => "/desk/hold-shelf",
    api: "/hold-shelf",
    csv: "/hold-shelf.csv",
    sorts: ["pickup_by", "member", "title", "-pickup_by"],
    filters: { expired: yesNo },
  },
  loans: {
    route: () => "/desk/loans",
    api: "/loans",
    csv: "/loans.csv",
    sorts: ["due_at", "-due_at", "loaned_at", "-loaned_at", "title", "member"],
    filters: { overdue: (v) => (v === "true" ? "true" : ""), member: (v) => toPositiveInt(v, ""), book: (v) => toPositiveInt(v, "") },
    apiKeys: { member: "member_id", book: "book_id" },
    fixed: { active: "true" },
  },
  holds: {
    route: () => "/desk/holds",
    api: "/holds",
    csv: "/holds.csv",
    sorts: ["placed_at", "-placed_at", "member", "title", "status"],
    filters: {
      book: (v) => toPositiveInt(v, ""),
      status: (v) => (["waiting", "ready", "fulfilled", "cancelled", "expired", "all"].includes(v) ? v : "waiting"),
    },
    apiKeys: { book: "book_id" },
  },
  archive: {
    route: () => "/desk/archive",
    api: "/books/archived",
    csv: null,
    sorts: ["-archived_at", "title"],
    filters: {},
  },
});

/** The words for each sort value, per list where they differ. */
export function sortLabel(name, value) {
  const labels = {
    placed_at: name === "pull" ? t("Oldest hold first") : t("Queue order (oldest first)"),
    "-placed_at": t("Newest first"),
    shelf: t("Shelf and call number (one walk)"),
    call_number: t("Call number"),
    title: t("Title"),
    member: t("Member"),
    status: t("Status"),
    pickup_by: t("Pickup date, soonest first"),
    "-pickup_by": t("Pickup date, latest first"),
    due_at: t("Due date, soonest first"),
    "-due_at": t("Due date, latest first"),
    loaned_at: t("Borrowed, oldest first"),
    "-loaned_at": t("Borrowed, newest first"),
    "-returned_at": t("Returned, newest first"),
    "-archived_at": t("Archived, newest first"),
  };
  return labels[value] ?? value;
}

/** [{value, label}] for a list's sort select, the default first. */
export function sortOptions(name) {
  return LISTS[name].sorts.map((value) => ({ value, label: sortLabel(name, value) }));
}

/** A list's state from the hash query: {sort, page, ...filters}; unknown or bad values fall back. */
export function staffListState(name, query = {}) {
  const list = LISTS[name];
  const state = {
    sort: list.sorts.includes(query.sort) ? query.sort : list.sorts[0],
    page: toPositiveInt(query.page, 1),
  };
  for (const [key, normalise] of Object.entries(list.filters)) state[key] = normalise(query[key] ?? "");
  return state;
}

/** The API's parameters for a state (routeParams: the route's own, e.g. a member's id). */
export function staffListParams(name, state, routeParams = {}, { paged = true } = {}) {
  const list = LISTS[name];
  const params = { ...(list.fixed ?? {}), sort: state.sort };
  if (paged) Object.assign(params, { page: state.page, per_page: PER_PAGE });
  for (const key of Object.keys(list.filters)) {
    const value = state[key];
    if (value === "" || value === null || value === undefined || value === "all") continue;
    params[list.apiKeys?.[key] ?? key] = value;
  }
  for (const [key, apiKey] of Object.entries(list.routeKeys ?? {})) params[apiKey] = routeParams[key];
  return params;
}

/** The hash of a list with some of its state changed; a change other than the page goes back to page 1. */
export function staffListHash(name, state, changes = {}, routeParams = {}) {
  const list = LISTS[name];
  const next = { ...state, ...changes };
  if (Object.keys(changes).some((key) => key !== "page") && !("page" in changes)) next.page = 1;
  const defaults = { sort: list.sorts[0], page: 1 };
  if (name === "holds") defaults.status = "waiting";
  return buildHash(list.route(routeParams), next, defaults);
}

/** The address of the list's CSV download, with the filters and sort on screen (null when it has none). */
export function staffListCsvUrl(name, state, routeParams = {}) {
  const list = LISTS[name];
  return list.csv ? downloadUrl(list.csv, staffListParams(name, state, routeParams, { paged: false })) : null;
}
