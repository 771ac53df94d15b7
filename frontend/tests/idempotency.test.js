import test from "node:test";
import assert from "node:assert/strict";
import {
  ApiError, createBook, checkOut, listBooks, newIdempotencyKey, setCsrfToken, onUnauthorized, RETRY_DELAYS_MS,
} from "../js/api.js";

/** Answer each fetch with the next of `answers` (Responses, functions, or errors to throw). */
function sequence(t, answers) {
  const calls = [];
  const original = globalThis.fetch;
  let i = 0;
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    const next = answers[i++];
    if (next === undefined) throw new Error(`unexpected request ${init.method} ${url}`);
    if (next instanceof Error) throw next;
    return typeof next === "function" ? next(url, init) : next;
  };
  t.after(() => {
    globalThis.fetch = original;
    setCsrfToken(null);
    onUnauthorized(null);
  });
  return calls;
}

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });

test("newIdempotencyKey gives distinct version-4 UUIDs", () => {
  const keys = new Set(Array.from({ length: 50 }, newIdempotencyKey));
  assert.equal(keys.size, 50);
  for (const key of keys) assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("each create sends its own Idempotency-Key; reads send none", async (t) => {
  const calls = sequence(t, [json(201, { id: 1 }), json(201, { id: 2 }), json(200, { items: [] })]);
  await createBook({ title: "A" });
  await createBook({ title: "B" });
  await listBooks({});
  const [a, b, read] = calls.map((c) => c.init.headers["Idempotency-Key"]);
  assert.ok(a && b && a !== b);
  assert.equal(read, undefined);
});

test("a checkout whose answer was lost is retried with the same key, and the retry's answer is returned",
  async (t) => {
    const calls = sequence(t, [
      new TypeError("Failed to fetch"),
      json(502, { title: "Bad Gateway", status: 502 }),
      json(201, { id: 7, due_at: "2026-12-21" }, { "Idempotent-Replayed": "true" }),
    ]);
    const loan = await checkOut({ barcode: "B1", card_number: "M1" });
    assert.equal(loan.id, 7);
    assert.equal(calls.length, 3);
    const keys = new Set(calls.map((c) => c.init.headers["Idempotency-Key"]));
    assert.equal(keys.size, 1);
    assert.deepEqual(calls.map((c) => c.init.body), Array(3).fill(JSON.stringify({ barcode: "B1", card_number: "M1" })));
  });

test("a 409 'still in progress' (with Retry-After) is waited out; any other 409 is the answer", async (t) => {
  const busy = json(409, { title: "Conflict", status: 409, detail: "still being processed" }, { "Retry-After": "0" });
  const calls = sequence(t, [busy, json(201, { id: 3 }), json(409, { title: "Conflict", status: 409, detail: "On loan" })]);
  assert.equal((await checkOut({ barcode: "B2", card_number: "M1" })).id, 3);
  assert.equal(calls.length, 2);
  await assert.rejects(checkOut({ barcode: "B2", card_number: "M2" }), (e) => e instanceof ApiError && e.status === 409);
  assert.equal(calls.length, 3);
});

test("retries stop after the last delay and the last error is what the caller gets", async (t) => {
  const failures = Array.from({ length: RETRY_DELAYS_MS.length + 1 }, () => json(503, { title: "Unavailable", status: 503 }));
  RETRY_DELAYS_MS.splice(0, RETRY_DELAYS_MS.length, 1, 1, 1);  // keep the test fast
  const calls = sequence(t, failures);
  await assert.rejects(createBook({ title: "C" }), (e) => e.status === 503);
  assert.equal(calls.length, 4);
  assert.equal(new Set(calls.map((c) => c.init.headers["Idempotency-Key"])).size, 1);
});
