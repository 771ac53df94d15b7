// Catalog imports as pure functions: which step an import is at, its progress, its report's figures and the
// duplicate policies. No DOM here, so node --test covers it; views/imports.js draws them.

import { t, tn } from "./i18n.js";

export const POLICIES = Object.freeze([
  { value: "skip", label: "Skip them", hint: "Books already in the catalog stay as they are; nothing is added for them." },
  { value: "add_copies", label: "Add copies to the existing book", hint: "Their copies (barcodes) are added to the book the catalog has." },
  { value: "add_anyway", label: "Add them anyway", hint: "Each becomes a book of its own (the ISBN stays with the book that has it)." },
]);

export const OUTCOMES = Object.freeze([
  { key: "new", label: "New books" },
  { key: "duplicate", label: "Duplicates (same ISBN)" },
  { key: "likely_duplicate", label: "Likely duplicates (same title and first author)" },
  { key: "invalid", label: "Invalid records" },
]);

export const FORMAT_LABELS = Object.freeze({ marc: "MARC 21", marcxml: "MARCXML", csv: "CSV" });

/** "1.5 MB" for a number of bytes. */
export function formatBytes(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return tn(n, "{count} byte", "{count} bytes");
  const units = ["KB", "MB", "GB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * What the page shows for an import: "mapping" (a CSV waiting for its columns), "previewing", "preview"
 * (choose the policy and commit), "importing", "done", "failed" or "cancelled".
 */
export function importStep(imp) {
  switch (imp?.state) {
    case "uploaded": return "mapping";
    case "previewing": return "previewing";
    case "previewed": return "preview";
    case "importing": return "importing";
    case "done": return "done";
    case "cancelled": return "cancelled";
    default: return "failed";
  }
}

/** Whether the page should ask again in a moment (a job is running). */
export function isRunning(imp) {
  return imp?.state === "previewing" || imp?.state === "importing";
}

/** { done, total, percent } of the import's job; percent is null while the total is not known. */
export function progressOf(imp) {
  const job = imp?.job ?? {};
  const done = Math.max(0, Number(job.progress_done) || 0);
  const total = Number(job.progress_total) || null;
  const percent = total ? Math.min(100, Math.round((done / total) * 100)) : null;
  return { done, total, percent };
}

/** "1,200 of 5,000 records" (or "1,200 records" while the total is not known). */
export function progressText({ done, total }, locale = "en") {
  const fmt = (n) => Number(n).toLocaleString(locale);
  return total ? t("{done} of {total} records", { done: fmt(done), total: fmt(total) }) : tn(done, "{count} record", "{count} records");
}

/** Where a record is in the file: "line 12" for CSV, "record 7" otherwise. */
export function recordLabel(item) {
  return item?.line ? t("line {line}", { line: item.line }) : t("record {record}", { record: item?.record ?? "?" });
}

/** The figures of a finished import, in the order the report shows them. */
export function resultFigures(result) {
  if (!result) return [];
  const figures = [
    { key: "added", label: t("Books added"), value: result.added },
    { key: "copies_added", label: t("Copies added"), value: result.copies_added },
  ];
  if (result.merged) figures.push({ key: "merged", label: t("Duplicates whose copies went to the existing book"), value: result.merged });
  if (result.skipped) figures.push({ key: "skipped", label: t("Duplicates skipped"), value: result.skipped });
  figures.push({ key: "invalid", label: t("Invalid records (not imported)"), value: result.invalid });
  if (result.warnings) figures.push({ key: "warnings", label: t("Warnings"), value: result.warnings });
  return figures.map((f) => ({ ...f, value: Number(f.value) || 0 }));
}

/**
 * A CSV mapping for the form: one select value per column ("" = left out) and the separator, from the
 * import's mapping, else its suggestion.
 */
export function mappingFormValues(imp) {
  const mapping = imp?.mapping ?? imp?.suggested_mapping ?? { fields: [], separator: ";" };
  const columns = Array.isArray(imp?.columns) ? imp.columns : [];
  return {
    fields: columns.map((_, i) => mapping.fields?.[i] ?? ""),
    separator: mapping.separator || ";",
  };
}

/** The mapping to send from the form's values; the problems the server would refuse it for (empty when none). */
export function mappingFromForm(values) {
  const fields = values.fields.map((v) => (v ? v : null));
  const problems = [];
  if (!fields.includes("title")) problems.push(t("Choose the column that holds the title."));
  const single = fields.filter((f) => f && !LIST_FIELDS.has(f));
  const twice = [...new Set(single.filter((f, i) => single.indexOf(f) !== i))];
  if (twice.length) problems.push(t("Only one column can be “{field}”.", { field: twice[0] }));
  return { mapping: { fields, separator: values.separator }, problems };
}

const LIST_FIELDS = new Set(["authors", "subjects", "other_isbns", "barcodes", "copy_locations", "copy_call_numbers", "copy_statuses"]);

export const EXPORT_FORMATS = Object.freeze([
  { format: "csv", label: "CSV (spreadsheet)" },
  { format: "mrc", label: "MARC 21 (.mrc)" },
  { format: "xml", label: "MARCXML" },
  { format: "json", label: "JSON" },
]);

/** The export's query: the list's filters without paging, sorting or facets. */
export function exportParams(apiParams = {}) {
  const skip = new Set(["page", "per_page", "sort", "facets", "facet_limit", "cursor"]);
  return Object.fromEntries(Object.entries(apiParams).filter(([k, v]) => !skip.has(k) && v !== null && v !== undefined && v !== ""));
}
