// Circulation as pure functions: the words for availability, copy and hold states, due dates and
// queue positions; the members list's URL state; and the circulation desk's state machine (what
// the desk shows after each card lookup, scan, success or refusal). No DOM here, so node --test
// covers it; views/desk.js, me.js, book.js and members.js draw from it.

import { buildHash } from "./router.js";
import { formatDate, countLabel } from "./format.js";
import { toPositiveInt, DEFAULT_PER_PAGE } from "./query.js";
import { t } from "./i18n.js";

const DAY = 24 * 60 * 60 * 1000;

/** 1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 22 -> "22nd", 101 -> "101st". */
export function ordinal(n) {
  const value = Math.trunc(Number(n));
  if (!Number.isFinite(value)) return "";
  const tens = Math.abs(value) % 100;
  const ones = Math.abs(value) % 10;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ones === 1 ? "st" : ones === 2 ? "nd" : ones === 3 ? "rd" : "th";
  return `${value.toLocaleString("en")}${suffix}`;
}

// ---- Availability ----

/** The availability object of a Book, with missing numbers as 0. */
function counts(availability) {
  const n = (v) => Math.max(0, Number(v) || 0);
  return { available: n(availability?.available), total: n(availability?.total), holds: n(availability?.holds) };
}

/** "1 waiting", "3 waiting", or "" when nobody is. */
export function holdsText(availability) {
  const { holds } = counts(availability);
  return holds > 0 ? `${holds.toLocaleString("en")} waiting` : "";
}

/**
 * The book page's line: "2 of 3 available", "None of 3 available", "1 of 1 available" or
 * "No copies" (the library does not hold it).
 */
export function availabilityText(availability) {
  const { available, total } = counts(availability);
  if (total === 0) return "No copies";
  return `${available === 0 ? "None" : available.toLocaleString("en")} of ${total.toLocaleString("en")} available`;
}

/**
 * A catalog result's short line and its kind (for the icon and colour, never the only signal):
 * "Available" / "All copies out, 2 waiting" / "All copies out" / "No copies". null when the API
 * sent no availability.
 */
export function availabilitySummary(availability) {
  if (!availability) return null;
  const { available, total } = counts(availability);
  if (total === 0) return { kind: "none", text: "No copies" };
  if (available > 0) return { kind: "available", text: available === total ? "Available" : `Available: ${available} of ${total}` };
  const waiting = holdsText(availability);
  return { kind: "out", text: waiting ? `All copies out, ${waiting}` : "All copies out" };
}

export const COPY_STATUS_LABELS = Object.freeze({
  available: "Available",
  on_loan: "On loan",
  on_hold_shelf: "On the hold shelf",
  lost: "Lost",
  withdrawn: "Withdrawn",
});

/** "on_hold_shelf" -> "On the hold shelf"; an unknown status is shown as sent. */
export function copyStatusLabel(status) {
  return COPY_STATUS_LABELS[status] ?? String(status ?? "");
}

/**
 * What staff may do to a copy's status: withdraw it or mark it lost, put a lost or withdrawn one back, and delete
 * one that was never lent nor held ("delete"). A copy on loan or on the hold shelf is checked in first: none.
 */
export function copyActions(copy) {
  if (copy.status === "on_loan" || copy.status === "on_hold_shelf") return [];
  const actions = { available: ["withdrawn", "lost"], lost: ["available", "withdrawn"], withdrawn: ["available"] }[copy.status] ?? [];
  return copy.deletable ? [...actions, "delete"] : actions;
}

/**
 * How a book can leave the catalog, from its copies: "blocked" while a copy is in service (not withdrawn; a
 * never-lent one may be deleted instead), "delete" when every copy is withdrawn and none was ever lent or held,
 * else "archive" (the book keeps its loan history). The server has the last word (a book with old holds is
 * archived too).
 */
export function retireChoice(copies) {
  const inService = copies.filter((copy) => copy.status !== "withdrawn");
  if (inService.length) return { action: "blocked", inService: inService.length };
  return { action: copies.every((copy) => copy.deletable) ? "delete" : "archive", inService: 0 };
}

/** The POST /books/{id}/copies body from the add-copy form (trimmed; empty optional fields become null). */
export function copyBody({ barcode, location, call_number, notes } = {}) {
  const text = (v) => String(v ?? "").trim();
  const orNull = (v) => text(v) || null;
  return { barcode: text(barcode), location: orNull(location), call_number: orNull(call_number), notes: orNull(notes) };
}

// ---- Loans and holds ----

/** Whole days from `from` to `to` (negative when `to` is earlier), by UTC calendar day. */
function dayDiff(from, to) {
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  const end = Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate());
  return Math.round((end - start) / DAY);
}

/**
 * How a loan's due date reads: { overdue, text }. The API's `overdue` flag wins when present
 * (the server's clock decides); otherwise the due time is compared with `now`.
 * "Due 27 November 2026 (in 3 days)", "Due today", "Overdue: was due 3 November 2026 (5 days ago)",
 * "Returned 4 November 2026".
 */
export function dueStatus(loan, now = new Date()) {
  if (!loan) return { overdue: false, text: "" };
  if (loan.returned_at) return { overdue: false, text: `Returned ${formatDate(loan.returned_at)}` };
  const due = new Date(loan.due_at);
  if (Number.isNaN(due.getTime())) return { overdue: Boolean(loan.overdue), text: loan.overdue ? "Overdue" : "" };
  const overdue = typeof loan.overdue === "boolean" ? loan.overdue : due.getTime() < now.getTime();
  const days = dayDiff(now, due);
  const date = formatDate(loan.due_at);
  if (overdue) {
    const ago = -days;
    return { overdue: true, text: `Overdue: was due ${date}${ago >= 1 ? ` (${countLabel(ago, "day")} ago)` : ""}` };
  }
  if (days <= 0) return { overdue: false, text: `Due today, ${date}` };
  if (days === 1) return { overdue: false, text: `Due tomorrow, ${date}` };
  return { overdue: false, text: `Due ${date} (in ${countLabel(days, "day")})` };
}

/** "Renewed 1 of 2 times", "Not renewed yet (2 renewals allowed)", "No renewals left". */
export function renewalsText(loan) {
  const used = Math.max(0, Number(loan?.renewals) || 0);
  const max = Math.max(0, Number(loan?.max_renewals) || 0);
  if (max === 0) return "Cannot be renewed";
  if (used === 0) return `Not renewed yet (${countLabel(max, "renewal")} allowed)`;
  if (used >= max) return `Renewed ${used} of ${max} times: no renewals left`;
  return `Renewed ${used} of ${max} ${max === 1 ? "time" : "times"}`;
}

/**
 * Whether to offer Renew for a loan, and its words: { offer, label, reason }. Only a renewal the server would
 * grant is offered, and the button says the new due date (a renewal always moves it).
 */
export function renewOffer(loan) {
  if (loan?.returned_at) return { offer: false, label: "", reason: "" };
  if (loan?.renewable && loan.renewal_due_at) {
    return { offer: true, label: t("Renew until {date}", { date: formatDate(loan.renewal_due_at) }), reason: "" };
  }
  return { offer: false, label: "", reason: loan?.renewal_refusal || t("This loan cannot be renewed.") };
}

/** True when the renewal limit is used up (the Renew button is still shown; the API explains). */
export function renewalsLeft(loan) {
  return Math.max(0, (Number(loan?.max_renewals) || 0) - (Number(loan?.renewals) || 0));
}

/**
 * A hold's state in words: "2nd in line", "Next in line", "Ready: pick up by 3 December 2026",
 * "Collected", "Cancelled", "Expired: not picked up".
 */
export function holdStatusText(hold) {
  switch (hold?.status) {
    case "waiting": {
      const position = Number(hold.position);
      if (!Number.isFinite(position) || position < 1) return "Waiting";
      return position === 1 ? "1st in line: next copy back is yours" : `${ordinal(position)} in line`;
    }
    case "ready":
      return hold.pickup_by ? `Ready: pick up by ${formatDate(hold.pickup_by)}` : "Ready to pick up";
    case "fulfilled":
      return "Collected";
    case "cancelled":
      return "Cancelled";
    case "expired":
      return "Expired: not picked up";
    default:
      return String(hold?.status ?? "");
  }
}

/** The message after placing a hold, from the new Hold. */
export function holdPlacedText(hold) {
  if (hold?.status === "ready") return `Hold placed. A copy is waiting for you: pick it up by ${formatDate(hold.pickup_by)}.`;
  const position = Number(hold?.position);
  if (Number.isFinite(position) && position >= 1) return `Hold placed. You are ${ordinal(position)} in line.`;
  return "Hold placed.";
}

/** Open holds first (ready, then waiting by position), then the rest by newest first. */
export function sortHolds(holds) {
  const rank = { ready: 0, waiting: 1 };
  return [...holds].sort((a, b) => {
    const ra = rank[a.status] ?? 2;
    const rb = rank[b.status] ?? 2;
    if (ra !== rb) return ra - rb;
    if (a.status === "waiting") return (a.position ?? Infinity) - (b.position ?? Infinity);
    return String(b.placed_at ?? "").localeCompare(String(a.placed_at ?? ""));
  });
}

/** Loans overdue first, then by due date. */
export function sortLoans(loans) {
  return [...loans].sort((a, b) => Number(Boolean(b.overdue)) - Number(Boolean(a.overdue))
    || String(a.due_at ?? "").localeCompare(String(b.due_at ?? "")));
}

// ---- Members ----

export const MEMBER_STATUSES = Object.freeze(["active", "suspended", "pending"]);
export const MEMBER_STATUS_LABELS = Object.freeze({ active: "Active", suspended: "Suspended", pending: "Waiting for approval" });

/** "3 of 5 loans", "1 loan" (no limit known). */
export function loansOfLimit(active, max) {
  const n = Math.max(0, Number(active) || 0);
  return Number(max) > 0 ? `${n.toLocaleString("en")} of ${Number(max).toLocaleString("en")} loans` : countLabel(n, "loan");
}

export const MEMBER_LIST_DEFAULTS = Object.freeze({ page: 1 });

/** Normalise the parsed hash query of #/members into { q, status, page }. */
export function memberListState(query = {}) {
  return {
    q: typeof query.q === "string" ? query.q.trim() : "",
    status: MEMBER_STATUSES.includes(query.status) ? query.status : "",
    page: toPositiveInt(query.page, 1),
  };
}

/** GET /members parameters for a list state. */
export function memberListApiParams(state) {
  const params = { page: state.page, per_page: DEFAULT_PER_PAGE };
  if (state.q) params.q = state.q;
  if (state.status) params.status = state.status;
  return params;
}

/** The canonical hash for a members-list state; changing a filter goes back to page 1. */
export function memberListHash(state, changes = {}) {
  const next = { ...state, ...changes };
  if (Object.keys(changes).some((k) => k !== "page") && !("page" in changes)) next.page = 1;
  return buildHash("/members", { q: next.q, status: next.status, page: next.page }, MEMBER_LIST_DEFAULTS);
}

/** The POST /members body from the new-member form (trimmed; empty email/phone become null). */
export function newMemberBody({ card_number, name, email, phone } = {}) {
  const text = (v) => String(v ?? "").trim();
  return { card_number: text(card_number), name: text(name), email: text(email) || null, phone: text(phone) || null };
}

// ---- The circulation desk ----
//
// One state object, changed only by deskReduce(state, action); the view draws whatever it says.
//   mode: "checkout" | "return"
//   card: the card number being looked up or shown ("" for none)
//   lookup: "idle" | "pending" | "found" | "missing" | "failed"
//   member, holds (the member's ready holds), problem (why the lookup failed)
//   busy: a scan is being sent; log: newest first, { id, kind: "checkout"|"return"|"error", ... }

export const DESK_MODES = Object.freeze(["checkout", "return"]);

/** The desk's URL state: #/desk?mode=return&card=123 (mode defaults to checkout). */
export function deskQueryState(query = {}) {
  return {
    mode: query.mode === "return" ? "return" : "checkout",
    card: typeof query.card === "string" ? query.card.trim() : "",
  };
}

/** "#/desk", "#/desk?mode=return", "#/desk?card=123". The card only matters when checking out. */
export function deskHash({ mode = "checkout", card = "" } = {}) {
  return buildHash("/desk", { mode, card: mode === "checkout" ? card : "" }, { mode: "checkout" });
}

export function initialDesk({ mode = "checkout", card = "" } = {}) {
  return { mode, card, lookup: "idle", member: null, holds: [], choices: [], problem: null, busy: false, log: [], nextId: 1 };
}

/**
 * What a lookup's matches (GET /members/lookup, best first) mean at the desk: { pick } when one member is meant
 * (the card number typed in any case, or the only match), { choices } when the staff must choose, {} for none.
 */
export function lookupOutcome(typed, members = []) {
  const wanted = String(typed ?? "").trim().toLowerCase();
  const exact = members.filter((m) => String(m.card_number).toLowerCase() === wanted);
  if (exact.length === 1) return { pick: exact[0] };
  if (members.length === 1) return { pick: members[0] };
  return members.length ? { choices: members } : {};
}

/**
 * A problem as plain data for the log: { status, title, detail }. The detail is the most specific
 * message: the named fields' errors first (a 422's own detail is only "see errors"), then the
 * problem's detail, then any field's message.
 */
export function problemOf(error, fields = []) {
  const messages = (value) => [].concat(value ?? []).filter((m) => typeof m === "string");
  const errors = error?.errors && typeof error.errors === "object" ? error.errors : {};
  const specific = fields.flatMap((field) => messages(errors[field])).join(" ");
  const any = Object.values(errors).flatMap(messages).join(" ");
  return {
    status: error?.status ?? 0,
    title: error?.title || "Error",
    detail: specific || (error?.status === 422 && any) || error?.detail || any || "",
  };
}

function addLog(state, entry) {
  return { ...state, busy: false, log: [{ id: state.nextId, ...entry }, ...state.log], nextId: state.nextId + 1 };
}

/**
 * The next desk state. Actions:
 *   {type: "mode", mode}                 switch between checking out and returns
 *   {type: "lookup", card}               a card number was entered
 *   {type: "member", member, holds}      the lookup found them ({type: "missing"} / {type: "lookup-failed", error})
 *   {type: "clear"}                      done with this member: back to the card field
 *   {type: "scan", barcode}              a barcode is being sent (busy until {type: "idle"})
 *   {type: "checked-out", loan}          POST /loans answered 201
 *   {type: "returned", loan, hold}       POST /returns answered 200
 *   {type: "refused", barcode, error, mode}  either answered with a problem (mode: of the scan)
 *   {type: "member-updated", member, holds} fresh numbers after a checkout
 */
export function deskReduce(state, action) {
  switch (action.type) {
    case "mode":
      return DESK_MODES.includes(action.mode) ? { ...state, mode: action.mode } : state;
    case "lookup": {
      const card = String(action.card ?? "").trim();
      if (!card) return { ...state, card: "", lookup: "idle", member: null, holds: [], choices: [], problem: null };
      return { ...state, card, lookup: "pending", member: null, holds: [], choices: [], problem: null };
    }
    case "choices":
      return { ...state, lookup: "choose", member: null, holds: [], choices: action.members ?? [], problem: null };
    case "member":
      return { ...state, lookup: "found", member: action.member, holds: action.holds ?? [], choices: [], problem: null, card: action.member?.card_number ?? state.card };
    case "member-updated":
      if (state.member?.id !== action.member?.id) return state;
      return { ...state, member: action.member, holds: action.holds ?? state.holds };
    case "missing":
      return { ...state, lookup: "missing", member: null, holds: [], choices: [], problem: { status: 404, title: t("Not found"), detail: t("No member has the card number or name “{card}”.", { card: state.card }) } };
    case "lookup-failed":
      return { ...state, lookup: "failed", member: null, holds: [], choices: [], problem: problemOf(action.error) };
    case "clear":
      return { ...state, card: "", lookup: "idle", member: null, holds: [], choices: [], problem: null };
    case "scan":
      return { ...state, busy: true };
    case "idle":
      return state.busy ? { ...state, busy: false } : state;
    case "checked-out": {
      const { loan } = action;
      const next = addLog(state, {
        kind: "checkout",
        title: loan.book_title,
        barcode: loan.barcode,
        dueAt: loan.due_at,
        memberName: loan.member_name ?? state.member?.name ?? "",
        bookId: loan.book_id,
      });
      if (next.member && next.member.id === loan.member_id) {
        next.member = { ...next.member, active_loans: (Number(next.member.active_loans) || 0) + 1 };
      }
      return next;
    }
    case "returned": {
      // POST /returns: {action, loan, hold, cleared}. A copy not on loan was pulled for a hold (captured) or
      // waited past its pickup date (cleared); `hold` is who it waits for now on the hold shelf.
      const { loan, hold, cleared, action: did = "returned" } = action;
      const holdFor = hold ? { name: hold.member_name, pickupBy: hold.pickup_by ?? null, noEmail: hold.member_has_email === false } : null;
      if (did === "captured" || did === "cleared") {
        const held = hold ?? cleared;
        return addLog(state, {
          kind: did === "captured" ? "capture" : "clear",
          title: held.book_title,
          barcode: held.copy_barcode ?? action.barcode ?? "",
          bookId: held.book_id,
          clearedFor: cleared ? cleared.member_name : "",
          holdFor,
        });
      }
      return addLog(state, {
        kind: "return",
        title: loan.book_title,
        barcode: loan.barcode,
        memberName: loan.member_name ?? "",
        overdue: Boolean(loan.overdue),
        bookId: loan.book_id,
        holdFor,
      });
    }
    case "refused": {
      const problem = problemOf(action.error, ["barcode", "card_number", "member_id"]);
      return addLog(state, { kind: "error", mode: action.mode ?? state.mode, barcode: action.barcode, ...problem });
    }
    default:
      return state;
  }
}

/**
 * Whether the barcode field takes scans: always for returns, for checkouts once a member is found.
 * (Scans made while one is being sent wait their turn; busy does not refuse them.)
 */
export function canScan(state) {
  return state.mode === "return" || (state.lookup === "found" && Boolean(state.member));
}

/** The text of a log line (also what the live region says). */
export function deskLogText(entry) {
  switch (entry.kind) {
    case "checkout":
      return `Checked out “${entry.title}” (${entry.barcode})${entry.memberName ? ` to ${entry.memberName}` : ""}: due ${formatDate(entry.dueAt)}.`;
    case "return": {
      const from = entry.memberName ? ` from ${entry.memberName}` : "";
      const late = entry.overdue ? " It was overdue." : "";
      return `Returned “${entry.title}” (${entry.barcode})${from}.${late}`;
    }
    case "capture":
      return t("Pulled “{title}” ({barcode}) for a hold.", { title: entry.title, barcode: entry.barcode });
    case "clear":
      return entry.holdFor
        ? t("Cleared {name}’s hold on “{title}” ({barcode}), not picked up in time.", { name: entry.clearedFor, title: entry.title, barcode: entry.barcode })
        : t("Cleared {name}’s hold on “{title}” ({barcode}), not picked up in time: put the copy back on its shelf.", { name: entry.clearedFor, title: entry.title, barcode: entry.barcode });
    case "error": {
      const what = entry.mode === "return" ? "Return" : "Checkout";
      return `${what} of ${entry.barcode || "(no barcode)"} refused: ${entry.detail || entry.title}`;
    }
    default:
      return "";
  }
}

/** "Put on hold shelf for Ada Lovelace (pickup by 3 December 2026)" for a return or capture that filled a hold. */
export function holdShelfText(holdFor) {
  if (!holdFor) return "";
  const by = holdFor.pickupBy ? ` (pickup by ${formatDate(holdFor.pickupBy)})` : "";
  const tell = holdFor.noEmail ? t(": no e-mail address, tell them another way") : "";
  return `Put on hold shelf for ${holdFor.name}${by}${tell}`;
}
