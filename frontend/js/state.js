// What the app remembers between views: the last catalog search, so "Back to the catalog" and the
// form's Cancel return to the same filtered page rather than the unfiltered list. No DOM here.

let lastList = "#/books";

/** Remember the hash of the list page the user last saw. */
export function rememberListHash(hash) {
  if (typeof hash === "string" && hash.startsWith("#/books")) lastList = hash;
}

/** The hash of the list page to go back to. */
export function lastListHash() {
  return lastList;
}
