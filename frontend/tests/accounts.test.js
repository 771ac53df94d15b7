import test from "node:test";
import assert from "node:assert/strict";
import {
  loginProblem, loginFormErrors, accessMessage, userListState, userListApiParams, userListHash,
  userPatchBody, newUserBody, tokenBody, scopesText, INCORRECT_LOGIN,
} from "../js/accounts.js";
import { ApiError } from "../js/api.js";

test("login failures: wrong credentials, throttling with and without Retry-After", () => {
  assert.equal(loginProblem(new ApiError({ status: 401, detail: "anything" })), INCORRECT_LOGIN);
  assert.equal(loginProblem(new ApiError({ status: 429, retryAfter: 30 })), "Too many attempts, try again in 30 seconds.");
  assert.equal(loginProblem(new ApiError({ status: 429, retryAfter: 1 })), "Too many attempts, try again in 1 second.");
  assert.equal(loginProblem(new ApiError({ status: 429, retryAfter: 0.2 })), "Too many attempts, try again in 1 second.");
  assert.equal(loginProblem(new ApiError({ status: 429 })), "Too many attempts, try again in a moment.");
  assert.equal(loginProblem(new ApiError({ status: 502, title: "Server unavailable" })), "Server unavailable");
  assert.match(loginProblem(new ApiError({ status: 0, detail: "The catalog did not answer." })), /did not answer/);
});

test("the login form asks for both fields before sending", () => {
  assert.deepEqual(loginFormErrors({ email: " ", password: "" }).fields, {
    email: ["Enter your email address."],
    password: ["Enter your password."],
  });
  assert.deepEqual(loginFormErrors({ email: "a@b.c", password: " " }).fields, {}); // a space is a password
});

test("access messages: visitors are asked to log in, others told the role needed", () => {
  const visitor = accessMessage("catalog", null);
  assert.equal(visitor.title, "Log in as a librarian to continue");
  assert.equal(visitor.login, true);
  assert.equal(accessMessage("admin", null).title, "Log in as an admin to continue");
  assert.equal(accessMessage("user", null).title, "Log in to continue");
  const member = accessMessage("catalog", { role: "member" });
  assert.equal(member.title, "This page needs a librarian");
  assert.equal(member.login, false);
  assert.match(member.detail, /^You are logged in as a member\./);
  assert.equal(accessMessage("admin", { role: "librarian" }).title, "This page needs an admin");
  assert.equal(accessMessage("staff", { role: "member" }).title, "This page needs a librarian");
  assert.match(accessMessage("staff", null).detail, /circulation desk/);
});

test("the users list state lives in the hash", () => {
  const state = userListState({ q: "  ada ", role: "librarian", page: "3" });
  assert.deepEqual(state, { q: "ada", role: "librarian", requested: false, page: 3 });
  assert.deepEqual(userListState({ role: "superuser", page: "-1" }), { q: "", role: "", requested: false, page: 1 });
  assert.deepEqual(userListApiParams(state), { page: 3, per_page: 20, q: "ada", role: "librarian" });
  assert.deepEqual(userListApiParams(userListState({})), { page: 1, per_page: 20 });
  assert.equal(userListHash(state), "#/admin/users?q=ada&role=librarian&page=3");
  assert.equal(userListHash(state, { role: "" }), "#/admin/users?q=ada"); // a new filter starts at page 1
  assert.equal(userListHash(state, { page: 4 }), "#/admin/users?q=ada&role=librarian&page=4");
  assert.equal(userListHash(userListState({})), "#/admin/users");
  const asked = userListState({ requested: "1" });
  assert.equal(asked.requested, true);
  assert.deepEqual(userListApiParams(asked), { page: 1, per_page: 20, reset_requested: true });
  assert.equal(userListHash(asked), "#/admin/users?requested=1");
  assert.equal(userListState({ requested: "yes" }).requested, false);
});

test("a user edit sends only what changed", () => {
  const user = { id: 4, display_name: "Ada", role: "member", is_active: true };
  assert.deepEqual(userPatchBody(user, { display_name: " Ada ", role: "member", is_active: true }), {});
  assert.deepEqual(userPatchBody(user, { display_name: "Ada L.", role: "librarian", is_active: false }), {
    display_name: "Ada L.",
    role: "librarian",
    is_active: false,
  });
});

test("the new-user body trims names and defaults the role", () => {
  assert.deepEqual(newUserBody({ email: " a@b.org ", display_name: " A ", role: "", password: " keep spaces " }), {
    email: "a@b.org",
    display_name: "A",
    role: "member",
    password: " keep spaces ",
    must_change_password: true, // a password an admin chose is temporary unless they say otherwise
  });
  assert.equal(newUserBody({ email: "a@b.org", must_change_password: false }).must_change_password, false);
});

test("token bodies keep the role's scopes only, in order, and the days as a number", () => {
  assert.deepEqual(tokenBody({ name: " Export ", scopes: ["write", "read", "admin"], expires_in_days: "30" }, "librarian"), {
    name: "Export",
    scopes: ["read", "write"],
    expires_in_days: 30,
  });
  assert.deepEqual(tokenBody({ name: "x", scopes: ["admin"], expires_in_days: "" }, "admin"), { name: "x", scopes: ["admin"] });
  // Not a number: sent as typed, so the server's field error explains it.
  assert.equal(tokenBody({ name: "x", scopes: [], expires_in_days: "ten" }, "member").expires_in_days, "ten");
  assert.equal(scopesText(["read", "write"]), "read, write");
  assert.equal(scopesText([]), "none");
});
