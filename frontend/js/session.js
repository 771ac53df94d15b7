// Who is using the app: the signed-in user (or nobody), and what their role lets the page offer.
// The server decides every request; these rules only choose which links, buttons and forms to show,
// so they mirror the API's policy: anyone reads the catalog, librarians and admins edit it, admins
// manage users. No DOM here, so node --test covers it; main.js draws the header from it.

export const ROLES = Object.freeze(["member", "librarian", "admin"]);

const ROLE_LABELS = Object.freeze({ member: "Member", librarian: "Librarian", admin: "Admin" });

/** The token scopes each role may ask for (POST /tokens answers 422 for more). */
const TOKEN_SCOPES = Object.freeze({
  member: Object.freeze(["read", "write"]),
  librarian: Object.freeze(["read", "write"]),
  admin: Object.freeze(["read", "write", "admin"]),
});

export const SCOPE_LABELS = Object.freeze({
  read: "Read: look up the catalog and your account",
  write: "Write: change what your role may change",
  admin: "Admin: manage users",
});

/** "librarian" -> "Librarian"; an unknown role is shown as sent. */
export function roleLabel(role) {
  return ROLE_LABELS[role] ?? String(role ?? "");
}

/** Librarians and admins may add, edit and delete books and authors. */
export function canEditCatalog(role) {
  return role === "librarian" || role === "admin";
}

/** Librarians and admins run the circulation desk and see members, copies' barcodes and all loans. */
export function isStaff(role) {
  return role === "librarian" || role === "admin";
}

/** Only admins manage users. */
export function isAdmin(role) {
  return role === "admin";
}

/** The scopes a user with `role` may give an API token, in display order. */
export function tokenScopesFor(role) {
  return TOKEN_SCOPES[role] ?? [];
}

/**
 * Whether a route's `access` requirement is met by a user (null when nobody is signed in):
 * null/undefined: anyone; "user": any signed-in user; "catalog" and "staff" (the circulation desk and
 * member records): librarian or admin; "admin": admin.
 */
export function canAccess(access, user) {
  if (!access) return true;
  if (!user) return false;
  if (access === "user") return true;
  if (access === "catalog" || access === "staff") return isStaff(user.role);
  if (access === "admin") return isAdmin(user.role);
  return false;
}

/** The name to greet a user by: their display name, else their email. */
export function displayName(user) {
  if (!user) return "";
  return String(user.display_name || "").trim() || String(user.email || "");
}

// ---- The session state: one user or none, and listeners told about every change. ----

let current = { user: null, via: null, scopes: [], card: null };
const listeners = new Set();

/** { user, via, scopes, card }; user is null for an anonymous visitor, card null without a library card. */
export function getSession() {
  return current;
}

/** The signed-in user, or null. */
export function currentUser() {
  return current.user;
}

/** The signed-in user's library card as {id, status} (from /auth/me or the login), or null. */
export function currentCard() {
  return current.card;
}

/**
 * Record the user from GET /auth/me, POST /auth/login or a PATCH of oneself. `card` is the answer's `member`
 * ({id, status} or null); left out (a PATCH of oneself says nothing about it), the same user keeps theirs.
 */
export function setUser(user, { via = "session", scopes = null, card } = {}) {
  if (!user || typeof user !== "object") {
    clearSession();
    return;
  }
  const sameUser = current.user !== null && current.user.id === user.id;
  const keptCard = card === undefined ? (sameUser ? current.card : null) : card;
  current = {
    user,
    via,
    scopes: Array.isArray(scopes) ? scopes : tokenScopesFor(user.role),
    card: keptCard && typeof keptCard === "object" ? keptCard : null,
  };
  notify();
}

/** Forget the user (logged out, or the session ended). */
export function clearSession() {
  const had = current.user !== null;
  current = { user: null, via: null, scopes: [], card: null };
  if (had) notify();
}

/** Call listener(session) after each change; returns the unsubscribe function. */
export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  for (const listener of listeners) listener(current);
}
