import test from "node:test";
import assert from "node:assert/strict";
import {
  canEditCatalog, isAdmin, tokenScopesFor, canAccess, roleLabel, displayName,
  setUser, clearSession, currentUser, currentCard, getSession, onSessionChange,
} from "../js/session.js";

test("only librarians and admins edit the catalog; only admins manage users", () => {
  assert.equal(canEditCatalog("admin"), true);
  assert.equal(canEditCatalog("librarian"), true);
  assert.equal(canEditCatalog("member"), false);
  assert.equal(canEditCatalog(undefined), false);
  assert.equal(canEditCatalog("Librarian"), false);
  assert.equal(isAdmin("admin"), true);
  assert.equal(isAdmin("librarian"), false);
  assert.equal(isAdmin(null), false);
});

test("token scopes follow the role", () => {
  assert.deepEqual(tokenScopesFor("member"), ["read", "write"]);
  assert.deepEqual(tokenScopesFor("librarian"), ["read", "write"]);
  assert.deepEqual(tokenScopesFor("admin"), ["read", "write", "admin"]);
  assert.deepEqual(tokenScopesFor("nobody"), []);
});

test("route access: anyone, any user, catalog editors, admins", () => {
  const member = { role: "member" };
  const librarian = { role: "librarian" };
  const admin = { role: "admin" };
  assert.equal(canAccess(undefined, null), true);
  assert.equal(canAccess("user", null), false);
  assert.equal(canAccess("user", member), true);
  assert.equal(canAccess("catalog", null), false);
  assert.equal(canAccess("catalog", member), false);
  assert.equal(canAccess("catalog", librarian), true);
  assert.equal(canAccess("staff", null), false);
  assert.equal(canAccess("staff", member), false);
  assert.equal(canAccess("staff", librarian), true);
  assert.equal(canAccess("staff", admin), true);
  assert.equal(canAccess("admin", librarian), false);
  assert.equal(canAccess("admin", admin), true);
  assert.equal(canAccess("something-new", admin), false); // unknown requirements deny
});

test("labels and names", () => {
  assert.equal(roleLabel("librarian"), "Librarian");
  assert.equal(roleLabel("custodian"), "custodian");
  assert.equal(displayName({ display_name: " Ada ", email: "ada@x.org" }), "Ada");
  assert.equal(displayName({ display_name: "", email: "ada@x.org" }), "ada@x.org");
  assert.equal(displayName(null), "");
});

test("the session state notifies listeners on login and logout only", () => {
  const seen = [];
  const stop = onSessionChange((session) => seen.push(session.user?.email ?? null));
  try {
    clearSession(); // nobody was logged in: no change, no call
    setUser({ id: 1, email: "ada@x.org", role: "admin" });
    assert.equal(currentUser().email, "ada@x.org");
    assert.deepEqual(getSession().scopes, ["read", "write", "admin"]);
    setUser({ id: 1, email: "ada@x.org", role: "admin" }, { via: "token", scopes: ["read"] });
    assert.deepEqual(getSession(), { user: { id: 1, email: "ada@x.org", role: "admin" }, via: "token", scopes: ["read"], card: null });
    clearSession();
    assert.equal(currentUser(), null);
    setUser(null); // not a user: the same as logging out
    assert.deepEqual(seen, ["ada@x.org", "ada@x.org", null]);
  } finally {
    stop();
  }
});

test("the library card comes with the user, survives a change of one's own name, and goes with the user", () => {
  try {
    setUser({ id: 7, email: "m@x.org", role: "member" }, { card: { id: 3, status: "active" } });
    assert.deepEqual(currentCard(), { id: 3, status: "active" });
    setUser({ id: 7, email: "m@x.org", role: "member", display_name: "M" }); // PATCH of oneself: no card in it
    assert.deepEqual(currentCard(), { id: 3, status: "active" });
    setUser({ id: 8, email: "other@x.org", role: "librarian" }); // someone else: not their card
    assert.equal(currentCard(), null);
    setUser({ id: 8, email: "other@x.org", role: "librarian" }, { card: null });
    assert.equal(currentCard(), null);
    setUser({ id: 7, email: "m@x.org", role: "member" }, { card: { id: 3, status: "suspended" } });
    clearSession();
    assert.equal(currentCard(), null);
  } finally {
    clearSession();
  }
});
