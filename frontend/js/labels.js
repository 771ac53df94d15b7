// The labels page as pure data: what to print (barcode or spine labels for copies, library cards for members),
// which copies (a book's, or those added on a day) or members, on which sheet, after how many used labels; the
// page's URL state and the PDF's address. No DOM here, so node --test covers it; views/labels.js draws the page.

import { buildHash } from "./router.js";
import { downloadUrl } from "./api.js";
import { toPositiveInt } from "./query.js";
import { t, tn } from "./i18n.js";

export const LABEL_KINDS = Object.freeze(["barcode", "spine", "card"]);

/** "2026-12-01" for a Date, by UTC day (the API's added_on is a UTC day). */
export function utcDay(date = new Date()) {
  return date.toISOString().slice(0, 10);
}

/** The page's state from the hash query. */
export function labelsState(query = {}) {
  const day = typeof query.added === "string" && /^\d{4}-\d{2}-\d{2}$/.test(query.added) ? query.added : "";
  const skip = /^\d{1,2}$/.test(String(query.skip ?? "")) ? Number(query.skip) : 0;
  return {
    kind: LABEL_KINDS.includes(query.kind) ? query.kind : "barcode",
    book: toPositiveInt(query.book, ""),
    added: day,
    member: toPositiveInt(query.member, ""),
    q: typeof query.q === "string" ? query.q.trim().slice(0, 200) : "",
    sheet: typeof query.sheet === "string" && /^[A-Za-z0-9]{1,12}$/.test(query.sheet) ? query.sheet : "",
    skip,
  };
}

export function labelsHash(state, changes = {}) {
  const next = { ...state, ...changes };
  if ("kind" in changes && changes.kind !== state.kind) next.sheet = "";
  return buildHash("/desk/labels", next, { kind: "barcode", skip: 0 });
}

/** The sheets that take this kind of label, from GET /labels/sheets. */
export function sheetsFor(kind, sheets = []) {
  return sheets.filter((sheet) => (sheet.layouts ?? []).includes(kind));
}

/** The sheet to use: the one the state names if it takes this kind, else the first that does. */
export function chosenSheet(state, sheets = []) {
  const fitting = sheetsFor(state.kind, sheets);
  return fitting.find((sheet) => sheet.name === state.sheet) ?? fitting[0] ?? null;
}

/** The PDF for the chosen ids (copies, or members for cards), or null when nothing is chosen. */
export function labelsPdfUrl(state, sheet, ids) {
  if (!sheet || !ids.length) return null;
  const skip = Math.min(state.skip, sheet.labels_per_sheet - 1);
  if (state.kind === "card") return downloadUrl("/labels/cards.pdf", { member_id: ids, sheet: sheet.name, skip });
  return downloadUrl("/labels/copies.pdf", { copy_id: ids, sheet: sheet.name, skip, layout: state.kind });
}

/** "5 labels on 1 sheet", "12 cards on 2 sheets" (used labels on the first sheet counted in). */
export function sheetSummary(kind, count, skip, perPage) {
  const sheets = perPage ? Math.ceil((count + Math.min(skip, perPage - 1)) / perPage) : 0;
  const what = kind === "card" ? tn(count, "{count} card", "{count} cards") : tn(count, "{count} label", "{count} labels");
  return t("{what} on {sheets}", { what, sheets: tn(sheets, "{count} sheet", "{count} sheets") });
}
