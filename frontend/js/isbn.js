// ISBNs in the browser, without DOM: what a typed or scanned code means. The server validates again (and is
// the authority); this decides when to look a code up, and reads a scanned EAN-13 as the ISBN it carries.

/** "978-0-14-032872-1" -> "9780140328721" (digits and a final X only); "" when nothing is left. */
export function compactIsbn(text) {
  return String(text ?? "").toUpperCase().replace(/[\s-]/g, "");
}

function isbn10Valid(code) {
  if (!/^\d{9}[\dX]$/.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i += 1) sum += (code[i] === "X" ? 10 : Number(code[i])) * (10 - i);
  return sum % 11 === 0;
}

function isbn13Valid(code) {
  if (!/^97[89]\d{10}$/.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 13; i += 1) sum += Number(code[i]) * (i % 2 ? 3 : 1);
  return sum % 10 === 0;
}

/** The ISBN-13 of a valid ISBN-10 or ISBN-13 (hyphens and spaces allowed), or null. */
export function toIsbn13(text) {
  const code = compactIsbn(text);
  if (isbn13Valid(code)) return code;
  if (!isbn10Valid(code)) return null;
  const body = `978${code.slice(0, 9)}`;
  let sum = 0;
  for (let i = 0; i < 12; i += 1) sum += Number(body[i]) * (i % 2 ? 3 : 1);
  return body + String((10 - (sum % 10)) % 10);
}

/**
 * What a scanned barcode is: { kind: "isbn", isbn } for a book's EAN-13 (978/979, the "Bookland" code on
 * the back cover; a price add-on after it is ignored), else { kind: "other", code } (a library barcode, a
 * card number), or null for nothing usable.
 */
export function readScan(raw) {
  const code = String(raw ?? "").trim();
  if (!code) return null;
  const digits = code.replace(/[\s-]/g, "");
  const ean = /^(97[89]\d{10})(\d{2}|\d{5})?$/.exec(digits);
  if (ean && toIsbn13(ean[1])) return { kind: "isbn", isbn: ean[1] };
  if (toIsbn13(digits)) return { kind: "isbn", isbn: toIsbn13(digits) };
  return { kind: "other", code };
}
