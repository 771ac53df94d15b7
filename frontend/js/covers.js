// Which image shows a book's cover, without DOM: the stored cover (served by the library itself, in a small
// size for lists and a large one for the book page), else an https cover_url, else none (a placeholder).

import { safeImageUrl } from "./format.js";

const STORED = /^\/covers\/[0-9a-f]{2}\/[0-9a-f]{32}-(list|detail)\.webp$/;

/** The URL of a book's cover image for `size` ("list" or "detail"), or null. */
export function coverUrl(book, size = "detail") {
  const stored = book?.cover?.[size];
  if (typeof stored === "string" && STORED.test(stored)) return stored;
  return safeImageUrl(book?.cover_url);
}

/** Whether a File is one the server takes as a cover (its type and size), and why not: null when it is. */
export function coverFileProblem(file, maxBytes = 5 * 1024 * 1024) {
  if (!file) return "Choose an image file.";
  if (!["image/jpeg", "image/png", "image/webp"].includes(file.type)) return "Choose a JPEG, PNG or WebP image.";
  if (file.size > maxBytes) return "The image is larger than 5 MB; choose a smaller one.";
  return null;
}
