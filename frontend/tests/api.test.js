import test from "node:test";
import assert from "node:assert/strict";
import { apiUrl, request, ApiError, listBooks, createBook, deleteBook } from "../js/api.js";

/** Replace globalThis.fetch for one test; returns the recorded calls. */
function fakeFetch(t, respond) {
  const calls = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  t.after(() => { globalThis.fetch = original; });
  return calls;
}

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
