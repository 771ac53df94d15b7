import test from "node:test";
import assert from "node:assert/strict";
import {
  kindLabel, stateLabel, noticeListState, noticeListApiParams, noticeListHash, mailServerSummary, noticeStateText,
  choicesBody, choicesSavedText, previewHtml,
} from "../js/notices.js";

test("kinds and states in words; unknown ones as sent", () => {
  assert.equal(kindLabel("hold_ready"), "Hold ready");
  assert.equal(kindLabel("password_reset"), "Password reset");
  assert.equal(kindLabel("newsletter"), "newsletter");
  assert.equal(stateLabel("queued"), "Waiting");
  assert.equal(stateLabel("suppressed"), "Not sent");
});

test("the log's filters live in the URL; junk is dropped and a new filter goes back to page 1", () => {
  const state = noticeListState({ kind: "overdue", state: "failed", member: "12", page: "3" });
  assert.deepEqual(state, { kind: "overdue", state: "failed", member: "12", page: 3 });
  assert.deepEqual(noticeListState({ kind: "spam", state: "lost", member: "-1", page: "0" }),
    { kind: "", state: "", member: "", page: 1 });
  assert.deepEqual(noticeListApiParams(state),
    { kind: "overdue", state: "failed", member_id: "12", page: 3, per_page: 20 });
  assert.equal(noticeListHash(state, { state: "sent" }), "#/notices?kind=overdue&state=sent&member=12");
  assert.equal(noticeListHash(state, { page: 4 }), "#/notices?kind=overdue&state=failed&member=12&page=4");
  assert.equal(noticeListHash(noticeListState({}), {}), "#/notices");
});

const OK = {
  mail_server: { configured: true, host: "smtp.example.org", port: 587, security: "starttls" },
  failing: false, queued: 0, workers_running: 1, last_sent_at: "2026-12-03T10:00:00Z", failed_last_day: 0,
};

test("the mail server at a glance: not configured, failing, no worker, slow, fine", () => {
  const none = mailServerSummary({ mail_server: { configured: false }, queued: 2 });
  assert.equal(none.tone, "warning");
  assert.equal(none.title, "No mail server is configured");
  assert.match(none.detail, /^2 notices wait in the outbox\./);
  assert.match(mailServerSummary({ mail_server: { configured: false }, queued: 1 }).detail, /^1 notice waits/);

  const failing = mailServerSummary({ ...OK, failing: true, queued: 3, last_error: "451 Try later",
    last_failure_at: "2026-12-03T10:05:00Z" });
  assert.equal(failing.tone, "problem");
  assert.equal(failing.detail, "Last error 3 December 2026, 10:05 UTC: 451 Try later. 3 notices are waiting.");

  assert.equal(mailServerSummary({ ...OK, workers_running: 0, queued: 1 }).title, "No background worker is running");
  const slow = mailServerSummary({ ...OK, queued: 1, oldest_queued_at: "2026-12-03T08:00:00Z" }, new Date("2026-12-03T10:00:00Z"));
  assert.equal(slow.title, "Notices are waiting longer than usual");

  const fine = mailServerSummary({ ...OK, failed_last_day: 1 });
  assert.deepEqual(fine, { tone: "ok", title: "Sending through smtp.example.org:587",
    detail: "Last sent 3 December 2026, 10:00 UTC. 1 notice failed in the last day." });
});

test("a notice's state line says when, or why", () => {
  assert.equal(noticeStateText({ state: "sent", sent_at: "2026-12-03T10:00:00Z" }), "Sent 3 December 2026, 10:00 UTC");
  assert.equal(noticeStateText({ state: "failed", reason: "550 No such user" }), "Failed: 550 No such user");
  assert.equal(noticeStateText({ state: "suppressed", reason: "Turned off by the member." }), "Not sent: Turned off by the member.");
  assert.equal(noticeStateText({ state: "queued", attempts: 0 }), "Waiting");
});

test("only changed choices are sent, and the outcome is said in words", () => {
  const kinds = [{ kind: "hold_ready", enabled: true }, { kind: "due_soon", enabled: true }, { kind: "overdue", enabled: false }];
  assert.deepEqual(choicesBody(kinds, { hold_ready: true, due_soon: false, overdue: true }), { due_soon: false, overdue: true });
  assert.deepEqual(choicesBody(kinds, { hold_ready: true, due_soon: true, overdue: false }), {});
  assert.equal(choicesSavedText({ due_soon: false, overdue: true }),
    "You will get e-mails for: overdue. You will no longer get e-mails for: due soon.");
  assert.equal(choicesSavedText({}), "Nothing was changed.");
});

test("the preview's HTML leaves out styles, scripts and handlers, as text, and says when styles went", () => {
  const html = '<html><head><style>p{color:red}</style></head><body style="font-family:sans-serif">'
    + '<p onclick="x()" class="a">Hi <b style=\'color:red\'>you</b></p><script>alert(1)</script><link rel="stylesheet" href="x.css"></body></html>';
  const { html: out, stripped } = previewHtml(html);
  assert.equal(out, '<html><head></head><body><p class="a">Hi <b>you</b></p></body></html>');
  assert.equal(stripped, true);
  assert.deepEqual(previewHtml("<p>plain</p>"), { html: "<p>plain</p>", stripped: false });
  assert.deepEqual(previewHtml("<p onmouseover=go()>x</p><script>never closed"), { html: "<p>x</p>", stripped: false });
});
