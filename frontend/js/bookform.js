// The book form's data rules, kept apart from the DOM: splitting the "a; b; c" inputs, turning
// form values into the API's JSON (empty optional fields become null), computing the PATCH
// body for an edit, and sorting the API's field errors onto the form's fields.

export const BOOK_FIELDS = Object.freeze([
  "title",
  "subtitle",
  "authors",
  "isbn",
  "publisher",
  "published_year",
  "language",
  "subjects",
  "cover_url",
  "cover_id",
  "description",
]);

const LIST_LABELS = { authors: "Author", subjects: "Subject" };

/**
 * Split "Le Guin, Ursula K.; Tolkien, J. R. R." on semicolons and line breaks (commas are part
 * of names written "Last, First"). Items are trimmed, inner whitespace collapsed, empties and
 * case-insensitive duplicates dropped, order kept.
 */
export function splitList(text) {
  const seen = new Set();
  const items = [];
  for (const part of String(text ?? "").split(/[;\n\r]+/)) {
    const item = part.replace(/\s+/g, " ").trim();
    const key = item.toLocaleLowerCase();
    if (item && !seen.has(key)) {
      seen.add(key);
      items.push(item);
    }
  }
  return items;
}

/** The inverse of splitList for filling the form. */
export function joinList(items) {
  return (items ?? []).join("; ");
}

/** Form values (all strings) for a Book from the API, or for an empty form. */
export function bookToFormValues(book = null) {
  const text = (v) => (v === null || v === undefined ? "" : String(v));
  return {
    title: text(book?.title),
    subtitle: text(book?.subtitle),
    authors: joinList((book?.authors ?? []).map((a) => a.name)),
    isbn: text(book?.isbn_formatted ?? book?.isbn),
    publisher: text(book?.publisher),
    published_year: text(book?.published_year),
    language: text(book?.language),
    subjects: joinList(book?.subjects),
    cover_url: text(book?.cover_url),
    cover_id: text(book?.cover?.id ?? book?.cover_id),
    description: text(book?.description),
  };
}

/**
 * Form values from an ISBN lookup's prefilled book (GET /lookup/isbn/{isbn}: its `book`, in BookIn's shape),
 * over the values already in the form: what the lookup found replaces them, what it did not find is kept.
 */
export function lookupToFormValues(found, current = bookToFormValues()) {
  const prefilled = bookToFormValues({
    ...found,
    authors: (found?.authors ?? []).map((a) => ({ name: a.name })),
    isbn_formatted: null,
  });
  const values = { ...current };
  for (const [key, value] of Object.entries(prefilled)) {
    if (value !== "") values[key] = value;
  }
  return values;
}

/**
 * The JSON body for POST/PATCH from form values. Empty optional inputs become null (the API
 * rejects "" for isbn, year, language and cover_url). Nothing is validated here beyond shape:
 * a malformed year or ISBN is sent as typed so the server's field error is what the user sees.
 * Authors whose name matches one of `original`'s are sent by id so edits keep the same author.
 */
export function formValuesToPayload(values, original = null) {
  const trimmed = (key) => String(values[key] ?? "").trim();
  const orNull = (key) => trimmed(key) || null;

  const payload = {};
  const title = trimmed("title");
  // A new book without a title omits it, so the API answers "Missing data for required field."
  if (title || original) payload.title = title || null;
  payload.subtitle = orNull("subtitle");

  const known = new Map((original?.authors ?? []).map((a) => [a.name, a.id]));
  payload.authors = splitList(values.authors).map((name) =>
    known.has(name) ? { id: known.get(name) } : { name },
  );

  payload.isbn = orNull("isbn");
  payload.publisher = orNull("publisher");
  const year = trimmed("published_year");
  payload.published_year = year === "" ? null : /^-?\d+$/.test(year) ? Number(year) : year;
  payload.language = orNull("language");
  payload.subjects = splitList(values.subjects);
  payload.cover_url = orNull("cover_url");
  payload.cover_id = orNull("cover_id");
  payload.description = orNull("description");
  return payload;
}

/** Only the fields of `payload` that differ from what `original` (a Book) already holds. */
export function patchBody(original, payload) {
  const base = formValuesToPayload(bookToFormValues(original), original);
  const changes = {};
  for (const [key, value] of Object.entries(payload)) {
    if (JSON.stringify(value) !== JSON.stringify(base[key])) changes[key] = value;
  }
  return changes;
}

/**
 * Flatten an errors map into [key, message] pairs. Accepts the API's flat form
 * ({"authors.0.name": ["..."]}) and nested marshmallow-style objects ({authors: {0: {name: [...]}}}),
 * dropping a leading request-location key such as "json".
 */
export function flattenErrors(errors, prefix = "") {
  const pairs = [];
  if (!errors || typeof errors !== "object") return pairs;
  for (const [key, value] of Object.entries(errors)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) {
      for (const message of value) {
        if (typeof message === "string") pairs.push([path, message]);
        else pairs.push(...flattenErrors(message, path));
      }
    } else if (typeof value === "string") {
      pairs.push([path, value]);
    } else {
      pairs.push(...flattenErrors(value, path));
    }
  }
  return pairs.map(([path, message]) => [path.replace(/^(json|body|form)\./, ""), message]);
}

/**
 * Sort an API errors map onto form fields: { fields: { isbn: ["..."] }, other: ["..."] }.
 * "authors.0.name" belongs to the authors field and reads "Author 1: ..."; keys that name no
 * field (e.g. "_schema") go to `other`, which the summary shows.
 */
export function groupErrors(errors, fields = BOOK_FIELDS) {
  const grouped = { fields: {}, other: [] };
  for (const [key, message] of flattenErrors(errors)) {
    const [head, index] = key.split(".");
    if (!fields.includes(head)) {
      grouped.other.push(key && !key.startsWith("_") ? `${key}: ${message}` : message);
      continue;
    }
    const text = /^\d+$/.test(index ?? "") && LIST_LABELS[head] ? `${LIST_LABELS[head]} ${Number(index) + 1}: ${message}` : message;
    (grouped.fields[head] ??= []).push(text);
  }
  return grouped;
}
