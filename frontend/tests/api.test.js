import test from "node:test";
import assert from "node:assert/strict";
import {
  apiUrl, request, ApiError, listBooks, createBook, deleteBook, updateBook, getBook, parseRetryAfter,
  setCsrfToken, onUnauthorized, getMe, login, logout, changePassword,
} from "../js/api.js";

/** Replace globalThis.fetch for one test; returns the recorded calls. */
function fakeFetch(t, respond) {
  const calls = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  t.after(() => {
    globalThis.fetch = original;
    setCsrfToken(null);
    onUnauthorized(null);
  });
  return calls;
}

/** Answer each fetch with the next of `answers` (functions of url, init, or Responses). */
function sequence(t, answers) {
  let i = 0;
  return fakeFetch(t, (url, init) => {
    const next = answers[i++];
    if (!next) throw new Error(`unexpected request ${init.method} ${url}`);
    return typeof next === "function" ? next(url, init) : next;
  });
}

const csrfProblem = (detail = "The CSRF token has expired; fetch a new one from /api/v1/auth/csrf.") =>
  json(400, { type: "about:blank", title: "Bad Request", status: 400, detail });

const json = (status, body, headers = {}) =>
  new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });

test("apiUrl builds the query string and skips empty values", () => {
  assert.equal(apiUrl("/books"), "/api/v1/books");
  assert.equal(apiUrl("/books", { q: "le guin", page: 2, subject: "", language: null }), "/api/v1/books?q=le+guin&page=2");
});

test("list responses carry the parsed Link header", async (t) => {
  fakeFetch(t, () => json(200, { items: [], total: 0, page: 1, per_page: 20 }, { Link: '</api/v1/books?page=1>; rel="first"' }));
  const page = await listBooks({ q: "x" });
  assert.deepEqual(page.links, { first: "/api/v1/books?page=1" });
});

test("writes send JSON with a Content-Type", async (t) => {
  const calls = fakeFetch(t, () => json(201, { id: 1, title: "Dune" }));
  const book = await createBook({ title: "Dune", isbn: null });
  assert.equal(book.id, 1);
  assert.equal(calls[0].url, "/api/v1/books");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.headers["Content-Type"], "application/json");
  assert.equal(calls[0].init.body, '{"title":"Dune","isbn":null}');
});

test("204 resolves to null and sends no body", async (t) => {
  const calls = fakeFetch(t, () => new Response(null, { status: 204 }));
  assert.equal(await deleteBook(5), null);
  assert.equal(calls[0].url, "/api/v1/books/5");
  assert.equal(calls[0].init.body, undefined);
  assert.equal(calls[0].init.headers["Content-Type"], undefined);
});

test("problem documents become ApiError with status, title, detail and errors", async (t) => {
  fakeFetch(t, () =>
    json(422, { type: "about:blank", title: "Unprocessable Entity", status: 422, detail: "Invalid input.", errors: { isbn: ["Bad."] } }),
  );
  await assert.rejects(request("POST", "/books", { body: {} }), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 422);
    assert.equal(error.title, "Unprocessable Entity");
    assert.equal(error.detail, "Invalid input.");
    assert.deepEqual(error.errors, { isbn: ["Bad."] });
    return true;
  });
});

test("a non-JSON error gets a fallback title", async (t) => {
  fakeFetch(t, () => new Response("<html>Bad Gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }));
  await assert.rejects(request("GET", "/books"), (error) => error.status === 502 && error.title === "Server unavailable" && error.detail === "");
});

test("a network failure is an ApiError with status 0; an abort stays an AbortError", async (t) => {
  fakeFetch(t, () => { throw new TypeError("Failed to fetch"); });
  await assert.rejects(request("GET", "/books"), (error) => error instanceof ApiError && error.status === 0);
  globalThis.fetch = async () => { throw new DOMException("aborted", "AbortError"); };
  await assert.rejects(request("GET", "/books"), (error) => error.name === "AbortError");
});

test("parseRetryAfter reads seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("120"), 120);
  assert.equal(parseRetryAfter(" 0 "), 0);
  const now = Date.parse("2026-11-27T12:00:00Z");
  assert.equal(parseRetryAfter("Fri, 27 Nov 2026 12:00:30 GMT", now), 30);
  assert.equal(parseRetryAfter("Fri, 27 Nov 2026 11:00:00 GMT", now), 0); // in the past: go ahead
  for (const bad of [null, undefined, "", "soon", "-5", "1.5", "12abc"]) assert.equal(parseRetryAfter(bad, now), null, bad);
});

test("a 429 carries Retry-After as seconds", async (t) => {
  fakeFetch(t, () => json(429, { title: "Too Many Requests", status: 429 }, { "Retry-After": "17" }));
  await assert.rejects(login("a@b.c", "pw"), (error) => error.status === 429 && error.retryAfter === 17);
});

test("writes send the CSRF token from the login; reads and logins without one do not", async (t) => {
  const calls = sequence(t, [
    json(200, { user: { id: 1 }, csrf_token: "tok-1" }),
    json(200, { id: 5 }),
    json(200, { id: 5 }),
    new Response(null, { status: 204 }),
  ]);
  await login("a@b.c", "pw");
  assert.equal(calls[0].init.headers["X-CSRFToken"], undefined);
  await getBook(5);
  await updateBook(5, { title: "x" });
  await deleteBook(5);
  assert.equal(calls[1].init.headers["X-CSRFToken"], undefined);
  assert.equal(calls[2].init.headers["X-CSRFToken"], "tok-1");
  assert.equal(calls[3].init.headers["X-CSRFToken"], "tok-1");
});

test("a write refused for its CSRF token fetches a new one and is retried once", async (t) => {
  setCsrfToken("old");
  const calls = sequence(t, [csrfProblem(), json(200, { csrf_token: "new" }), json(200, { id: 5, title: "x" })]);
  const book = await updateBook(5, { title: "x" });
  assert.equal(book.title, "x");
  assert.deepEqual(calls.map((c) => `${c.init.method} ${c.url}`), ["PATCH /api/v1/books/5", "GET /api/v1/auth/csrf", "PATCH /api/v1/books/5"]);
  assert.equal(calls[0].init.headers["X-CSRFToken"], "old");
  assert.equal(calls[2].init.headers["X-CSRFToken"], "new");
  assert.equal(calls[2].init.body, '{"title":"x"}');
});

test("the CSRF retry happens only once, and never for reads or other 400s", async (t) => {
  setCsrfToken("old");
  let calls = sequence(t, [csrfProblem("The CSRF token is invalid."), json(200, { csrf_token: "new" }), csrfProblem("The CSRF token is invalid.")]);
  await assert.rejects(updateBook(5, { title: "x" }), (error) => error.isCsrfFailure);
  assert.equal(calls.length, 3);

  calls = sequence(t, [json(400, { title: "Bad Request", detail: "Malformed JSON." })]);
  await assert.rejects(createBook({}), (error) => error.status === 400 && !error.isCsrfFailure);
  assert.equal(calls.length, 1);

  calls = sequence(t, [csrfProblem()]);
  await assert.rejects(getBook(5), (error) => error.status === 400);
  assert.equal(calls.length, 1);
});

test("concurrent CSRF failures share one refresh", async (t) => {
  setCsrfToken("old");
  const calls = fakeFetch(t, (url, init) => {
    if (url.endsWith("/auth/csrf")) return json(200, { csrf_token: "new" });
    return init.headers["X-CSRFToken"] === "new" ? json(200, { id: 1 }) : csrfProblem();
  });
  await Promise.all([updateBook(1, {}), updateBook(2, {}), deleteBook(3)]);
  assert.equal(calls.filter((c) => c.url.endsWith("/auth/csrf")).length, 1);
});

test("when the CSRF refresh finds no session, the 401 is what the caller and the handler get", async (t) => {
  setCsrfToken("old");
  const seen = [];
  onUnauthorized((error, where) => seen.push([error.status, where.method, where.path]));
  sequence(t, [csrfProblem(), json(401, { title: "Unauthorized", status: 401, detail: "Log in or send a bearer token." })]);
  await assert.rejects(updateBook(5, {}), (error) => error.status === 401);
  assert.deepEqual(seen, [[401, "PATCH", "/books/5"]]);
});

test("a 401 goes to the unauthorized handler, and still rejects", async (t) => {
  const seen = [];
  onUnauthorized((error, where) => seen.push(`${where.method} ${where.path} ${error.status}`));
  sequence(t, [json(401, { title: "Unauthorized", status: 401 }), json(403, { title: "Forbidden", status: 403 })]);
  await assert.rejects(createBook({ title: "x" }), (error) => error.status === 401);
  await assert.rejects(createBook({ title: "x" }), (error) => error.status === 403); // not a session problem
  assert.deepEqual(seen, ["POST /books 401"]);
});

test("a visitor's /auth/me (200, user null) forgets the CSRF token and is not a session ending", async (t) => {
  const seen = [];
  onUnauthorized(() => seen.push("redirect"));
  const calls = sequence(t, [json(200, { user: null, member: null, csrf_token: null }), json(200, {})]);
  setCsrfToken("stale");
  assert.deepEqual(await getMe(), { user: null, member: null, csrf_token: null });
  await updateBook(1, {});
  assert.equal(calls[1].init.headers["X-CSRFToken"], undefined);
  assert.deepEqual(seen, []);
});

test("401 from /auth/me (a bad bearer token), from a login (bad password) or a logout is not a session ending", async (t) => {
  const seen = [];
  onUnauthorized(() => seen.push("redirect"));
  const unauthorized = () => json(401, { title: "Unauthorized", status: 401, detail: "Incorrect email or password." });
  const calls = sequence(t, [unauthorized(), unauthorized(), unauthorized(), unauthorized()]);
  setCsrfToken("stale");
  assert.deepEqual(await getMe(), { user: null, member: null, csrf_token: null });
  await assert.rejects(login("a@b.c", "wrong"), (error) => error.status === 401 && error.detail === "Incorrect email or password.");
  assert.equal(await logout(), null);
  await updateBook(1, {}).catch(() => {});
  assert.equal(calls[3].init.headers["X-CSRFToken"], undefined); // getMe's 401 forgot the token
  assert.deepEqual(seen, ["redirect"]);
});

test("getMe keeps the CSRF token; a password change replaces it; logout forgets it", async (t) => {
  const calls = sequence(t, [
    json(200, { user: { id: 1, role: "member" }, csrf_token: "me", via: "session", scopes: ["read", "write"] }),
    json(200, { id: 1 }),
    json(200, { user: { id: 1 }, csrf_token: "rotated" }),
    json(201, { id: 2 }),
    new Response(null, { status: 204 }),
    json(201, { id: 3 }),
  ]);
  const me = await getMe();
  assert.equal(me.via, "session");
  await createBook({});
  await changePassword({ current_password: "a", new_password: "b" });
  await createBook({});
  await logout();
  await createBook({});
  assert.equal(calls[1].init.headers["X-CSRFToken"], "me");
  assert.equal(calls[2].init.headers["X-CSRFToken"], "me");
  assert.equal(calls[3].init.headers["X-CSRFToken"], "rotated");
  assert.equal(calls[4].init.headers["X-CSRFToken"], "rotated");
  assert.equal(calls[5].init.headers["X-CSRFToken"], undefined);
});
