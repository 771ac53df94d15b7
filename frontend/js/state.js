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

// A password link staff just made with a new card, handed to the member page that shows it once (a secret: kept
// in memory, never in the address).
const passwordLinks = new Map();

/** Keep a new card's password link ({url, purpose, expires_at}) for the member page. */
export function handOverPasswordLink(memberId, link) {
  if (link) passwordLinks.set(String(memberId), link);
}

/** The link kept for this member, once (null when there is none). */
export function takePasswordLink(memberId) {
  const link = passwordLinks.get(String(memberId)) ?? null;
  passwordLinks.delete(String(memberId));
  return link;
}
