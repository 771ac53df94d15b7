// The admin's settings page as data: one entry per setting (section, key, label, help text, type, limits), so a
// new setting is one line here (and one in the server's REGISTRY, services/settings.py). Labels and help are
// English keys for t(). Types: "text" (max: length), "integer" (min, max), "boolean". Pure, for node --test.

export const SETTINGS_FIELDS = Object.freeze([
  { section: "The library", key: "library_name", label: "Library name", type: "text", max: 100,
    help: "Shown in the header and in the title of every page." },
  { section: "Loans", key: "loan_days", label: "Loan period (days)", type: "integer", min: 1, max: 365,
    help: "How long a loan lasts. Changing it applies to new loans and renewals from now on." },
  { section: "Loans", key: "max_renewals", label: "Renewals per loan", type: "integer", min: 0, max: 20,
    help: "None while someone is waiting for the book." },
  { section: "Loans", key: "max_loans", label: "Loans per member at once", type: "integer", min: 1, max: 100 },
  { section: "Holds", key: "max_holds", label: "Holds per member at once", type: "integer", min: 0, max: 100 },
  { section: "Holds", key: "hold_pickup_days", label: "Days a held copy waits on the hold shelf", type: "integer",
    min: 1, max: 60,
    help: "After that the hold shows as expired on the hold shelf list, for staff to clear: the copy then goes to the next in line." },
  { section: "Holds", key: "hold_auto_expire", label: "Clear expired holds automatically", type: "boolean",
    help: "Every 15 minutes the copy of a hold not picked up in time goes to the next in line (who is told) or back to the shelf, without waiting for staff." },
  { section: "Members", key: "self_registration", label: "Visitors may sign up for a library card online",
    type: "boolean",
    help: "Sign-ups wait on the Members page as “Waiting for approval” until staff approve them with a card number." },
  { section: "Notices", key: "notice_due_soon_days", label: "Reminder before the due date (days)", type: "integer",
    min: 0, max: 30, help: "0 sends no reminder. Members choose which e-mails they get." },
  { section: "Notices", key: "notice_overdue_every_days", label: "Days between overdue notices", type: "integer",
    min: 1, max: 90, help: "The first goes the day after the due date." },
  { section: "Notices", key: "notice_overdue_max", label: "Overdue notices per loan at most", type: "integer",
    min: 0, max: 20, help: "0 sends none. Templates and the mail server's state are on the Notices page." },
  { section: "Barcodes and cards", key: "copy_barcode_prefix", label: "Prefix of automatic copy barcodes", type: "text",
    max: 20, help: "C gives C000001, C000002 …; letters, digits and . _ / - only, may be empty." },
  { section: "Barcodes and cards", key: "card_number_prefix", label: "Prefix of automatic card numbers", type: "text",
    max: 20, help: "M gives M000001, M000002 …" },
  { section: "Barcodes and cards", key: "barcode_digits", label: "Digits in automatic barcodes and card numbers",
    type: "integer", min: 1, max: 12, help: "The number is padded with zeros to this many digits." },
]);

/** The fields grouped by section, in the table's order: [{ name, fields }]. */
export function sections(fields = SETTINGS_FIELDS) {
  const groups = [];
  for (const field of fields) {
    let group = groups.find((g) => g.name === field.section);
    if (!group) groups.push((group = { name: field.section, fields: [] }));
    group.fields.push(field);
  }
  return groups;
}

/** What a form control shows for a setting's value: text for text and integer fields, true/false for a box. */
export function formValue(field, value) {
  if (field.type === "boolean") return Boolean(value);
  return value === null || value === undefined ? "" : String(value);
}

/**
 * A control's value as the API takes it: a whole number for integer fields when it is one (anything else is
 * sent as typed, so the server's 422 explains it), trimmed text, or a boolean.
 */
export function parseValue(field, raw) {
  if (field.type === "boolean") return Boolean(raw);
  const text = String(raw ?? "").trim();
  if (field.type === "integer") return /^-?\d{1,9}$/.test(text) ? Number(text) : text;
  return text;
}

/** The PATCH body: only the settings whose parsed value differs from the current one. */
export function settingsPatch(current, raw, fields = SETTINGS_FIELDS) {
  const body = {};
  for (const field of fields) {
    if (!(field.key in raw)) continue;
    const value = parseValue(field, raw[field.key]);
    if (value !== current?.[field.key]) body[field.key] = value;
  }
  return body;
}
