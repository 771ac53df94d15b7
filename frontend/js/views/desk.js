// #/desk?mode=return&card=C-1 — the circulation desk, made for the keyboard and a barcode scanner (which
// types the code and presses Enter). Checking out: a card number finds the member, then each barcode
// is a checkout. Returns: each barcode is a return, and a copy someone has on hold is sent to the hold
// shelf, which the desk says loudly. Every result goes in the session log (newest first) and is read
// out: successes through the page's polite announcer, refusals as alerts.
//
// The state lives in circulation.js's deskReduce; this module sends the requests and draws the state.
// It is kept for the tab's life, so leaving the desk and coming back keeps the member and the log.
// Scans are queued and sent one at a time, so a fast scanner never loses one.

import { lookupMembers, listHolds, checkOut, returnByBarcode, getLoanRules, getMember, listPullList, listHoldShelf } from "../api.js";
import { clone, refs, el, isAbort } from "../dom.js";
import {
  deskQueryState, deskHash, initialDesk, deskReduce, canScan, deskLogText, holdShelfText, loansOfLimit,
  holdStatusText, lookupOutcome, MEMBER_STATUS_LABELS,
} from "../circulation.js";
import { formatDate } from "../format.js";
import { t, tn } from "../i18n.js";
import { addScanButtons } from "../scanner.js";
import { deskNav } from "./desknav.js";

let desk = initialDesk();
let rules = null; // GET /loan-rules: { max_loans, ... }
let rulesRequest = null;
let active = null; // { ctx, view } of the desk on screen
const queue = []; // scans waiting to be sent: { barcode, mode, member }
let sending = false;
let lookupSeq = 0; // the newest card lookup; older answers are dropped

/** Draw the desk for ctx.query, reusing the mounted desk when only the query changed. */
export async function render(ctx) {
  const wanted = deskQueryState(ctx.query);
  let view = ctx.sameView ? ctx.root.querySelector(':scope > [data-view="desk"]') : null;
  const fresh = !view;
  if (fresh) {
    view = mount();
    ctx.root.replaceChildren(view);
    ctx.root.removeAttribute("aria-busy");
  }
  active = { ctx, view };
  loadRules();
  loadToDo(view, ctx.signal);

  if (wanted.mode !== desk.mode) desk = deskReduce(desk, { type: "mode", mode: wanted.mode });
  // A card in the URL that is not the member shown is looked up; so is one whose lookup was cut short
  // by leaving the desk. A link to the desk without a card, followed from the desk, starts afresh.
  const changed = wanted.mode === "checkout" && wanted.card && (wanted.card !== desk.card || desk.lookup !== "found");
  const lookupCard = changed ? wanted.card : desk.lookup === "pending" ? desk.card : "";
  if (wanted.mode === "checkout" && !wanted.card && desk.card && !fresh) desk = deskReduce(desk, { type: "clear" });
  if (fresh) refs(view).card.value = desk.card;
  draw({ logAll: fresh });
  ctx.ready();
  if (lookupCard) {
    refs(view).card.value = lookupCard;
    await lookUp(lookupCard);
  } else {
    if (fresh) syncUrl();
    focusInput();
  }
}

/** The loan limit shown next to the member: GET /loan-rules once, then draw again. */
function loadRules() {
  if (rules) return;
  rulesRequest ??= getLoanRules().then((value) => {
    rules = value;
    if (active) draw();
  }).catch(() => {
    rulesRequest = null; // the limit is a nicety: try again next time
  });
}

/** What waits for the desk besides the queue at the counter: copies to pull, holds to clear. */
async function loadToDo(view, signal) {
  const line = refs(view).todo;
  try {
    const [pull, expired] = await Promise.all([listPullList({ per_page: 1 }, { signal }), listHoldShelf({ expired: true, per_page: 1 }, { signal })]);
    line.replaceChildren(
      el("a", { href: "#/desk/pull-list", text: tn(pull.total, "{count} copy to pull for a hold", "{count} copies to pull for holds") }), " · ",
      el("a", { href: "#/desk/hold-shelf?expired=true", text: tn(expired.total, "{count} hold to clear from the hold shelf", "{count} holds to clear from the hold shelf") }));
  } catch {
    line.replaceChildren(); // the counts are a nicety; the lists are one click away
  }
}

function mount() {
  const view = clone("tpl-desk");
  const r = refs(view);
  r.nav.replaceWith(deskNav("desk"));

  for (const radio of [r["mode-checkout"], r["mode-return"]]) {
    radio.addEventListener("change", () => {
      if (radio.checked) setMode(radio.value, { focus: false });
    });
  }
  // Alt+C / Alt+R anywhere in the desk switch the mode and go to the field to scan into.
  view.addEventListener("keydown", (event) => {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const mode = { KeyC: "checkout", KeyR: "return" }[event.code];
    if (!mode) return;
    event.preventDefault();
    setMode(mode, { focus: true });
  });

  r["card-form"].addEventListener("submit", (event) => {
    event.preventDefault();
    const card = r.card.value.trim();
    if (!card) {
      r.card.focus();
      return;
    }
    lookUp(card);
  });

  r["scan-form"].addEventListener("submit", (event) => {
    event.preventDefault();
    const barcode = r.barcode.value.trim();
    r.barcode.value = "";
    r.barcode.focus();
    if (!barcode || !canScan(desk)) return;
    queue.push({ barcode, mode: desk.mode, member: desk.member });
    pump();
  });
  addScanButtons(view); // a code read by the camera is sent like a USB scanner's: the form is submitted
  r.barcode.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && desk.mode === "checkout" && desk.member && !r.barcode.value) {
      event.preventDefault();
      nextMember();
    }
  });
  return view;
}

function dispatch(action) {
  desk = deskReduce(desk, action);
  if (active) draw();
}

function setMode(mode, { focus }) {
  dispatch({ type: "mode", mode });
  syncUrl();
  if (focus) focusInput();
  active?.ctx.announce(mode === "return" ? "Returns: scan a barcode." : desk.member ? `Checking out to ${desk.member.name}.` : "Check out: enter a card number.");
}

function nextMember() {
  dispatch({ type: "clear" });
  syncUrl();
  const r = refs(active.view);
  r.card.value = "";
  r.card.focus();
  active.ctx.announce("Ready for the next member: enter a card number.");
}

/** Keep the address bar in step without a new navigation (the desk is already drawn). */
function syncUrl() {
  const hash = deskHash({ mode: desk.mode, card: desk.lookup === "found" ? desk.card : "" });
  if (location.hash !== hash) history.replaceState(history.state, "", hash);
}

function focusInput() {
  if (!active) return;
  const r = refs(active.view);
  if (desk.mode === "checkout" && !desk.member) r.card.focus();
  else r.barcode.focus();
}

// ---- Step 1: the member ----

async function lookUp(card) {
  const seq = ++lookupSeq;
  const { ctx } = active;
  dispatch({ type: "lookup", card });
  try {
    const page = await lookupMembers(desk.card, { per_page: 10 }, { signal: ctx.signal });
    if (seq !== lookupSeq || ctx.signal.aborted) return;
    const outcome = lookupOutcome(desk.card, page.items);
    if (outcome.pick) {
      await choose(outcome.pick, seq);
      return;
    }
    if (outcome.choices) {
      dispatch({ type: "choices", members: outcome.choices });
      const more = page.total > page.items.length ? ` ${t("Showing the first {n}; type more of the name to narrow it.", { n: page.items.length })}` : "";
      ctx.announce(`${tn(page.total, "{count} member matches", "{count} members match")}: ${t("choose one with the arrow keys and Enter.")}${more}`);
      refs(active.view).member.querySelector(".choice-list button")?.focus();
      return;
    }
    dispatch({ type: "missing" });
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || seq !== lookupSeq) return;
    if (error.status === 401) return;
    dispatch({ type: "lookup-failed", error });
  }
  afterLookup();
}

/** The member is known (the only match, or picked from the matches): their ready holds, then scan. */
async function choose(member, seq = ++lookupSeq) {
  const { ctx } = active;
  try {
    const holds = await readyHolds(member, ctx.signal);
    if (seq !== lookupSeq || ctx.signal.aborted) return;
    dispatch({ type: "member", member, holds });
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || seq !== lookupSeq) return;
    dispatch({ type: "lookup-failed", error });
  }
  afterLookup();
}

function afterLookup() {
  const { ctx } = active;
  syncUrl();
  const r = refs(active.view);
  if (desk.lookup === "found") {
    r.card.value = desk.card;
    r.barcode.focus();
    const m = desk.member;
    const note = m.status === "suspended" ? " Card suspended: cannot borrow." : "";
    ctx.announce(`${m.name}, card ${m.card_number}. ${loansOfLimit(m.active_loans, rules?.max_loans)}.${note}${desk.holds.length ? ` ${desk.holds.length} ready on the hold shelf.` : ""} Scan a barcode.`);
  } else {
    r.card.focus();
    r.card.select();
  }
}

async function readyHolds(member, signal) {
  try {
    return (await listHolds({ member_id: member.id, status: "ready", per_page: 100 }, { signal })).items;
  } catch (error) {
    if (isAbort(error)) throw error;
    return []; // the member is found; the hold shelf list is a nicety
  }
}

/** After a checkout: the member's numbers and ready holds from the server, without moving focus. */
async function refreshMember(member) {
  const signal = active?.ctx.signal;
  try {
    const [fresh, holds] = await Promise.all([getMember(member.id, { signal }), readyHolds(member, signal)]);
    dispatch({ type: "member-updated", member: fresh, holds });
  } catch {
    // The desk goes on with the numbers it has.
  }
}

// ---- Step 2: scans ----

async function pump() {
  if (sending) return;
  sending = true;
  try {
    while (queue.length) {
      const scan = queue.shift();
      dispatch({ type: "scan", barcode: scan.barcode });
      await send(scan);
    }
  } finally {
    sending = false;
    dispatch({ type: "idle" });
  }
}

async function send({ barcode, mode, member }) {
  const before = desk.log[0]?.id;
  try {
    if (mode === "return") {
      const { action, loan, hold, cleared } = await returnByBarcode(barcode);
      dispatch({ type: "returned", action, loan, hold, cleared, barcode });
      // A return or capture can change what waits for the desk: count again (a checkout cannot add to it).
      if (active) loadToDo(active.view, active.ctx.signal);
    } else {
      const loan = await checkOut({ barcode, member_id: member.id });
      dispatch({ type: "checked-out", loan });
      refreshMember(member);
    }
  } catch (error) {
    if (isAbort(error)) return;
    if (error.status === 401) return; // main.js takes the user to the login page
    dispatch({ type: "refused", barcode, error, mode });
  }
  const entry = desk.log[0];
  if (!entry || entry.id === before || !active) return;
  // Refusals and the hold shelf are alerts in the log; the rest is said politely.
  if (entry.kind === "checkout" || (["return", "clear"].includes(entry.kind) && !entry.holdFor)) active.ctx.announce(deskLogText(entry));
}

// ---- Drawing ----

const drawn = new WeakMap(); // view -> Set of log entry ids already in its list

function draw({ logAll = false } = {}) {
  const { view } = active;
  const r = refs(view);
  const checkout = desk.mode === "checkout";
  r["mode-checkout"].checked = checkout;
  r["mode-return"].checked = !checkout;
  view.classList.toggle("is-return", !checkout);
  r["card-step"].hidden = !checkout;

  r["barcode-label"].replaceChildren(
    ...(checkout ? [el("span", { className: "step-number", "aria-hidden": "true", text: "2" }), " "] : []),
    checkout ? "Barcode to check out" : "Barcode to return",
  );
  r["scan-submit"].textContent = checkout ? "Check out" : "Return";
  const ready = canScan(desk);
  r.barcode.disabled = !ready;
  r["scan-submit"].disabled = !ready;
  r["barcode-hint"].textContent = checkout
    ? desk.member ? `Checking out to ${desk.member.name}. Esc: next member.` : "Find the member first."
    : t("Each copy scanned is checked in; a copy pulled for a hold goes on the hold shelf.");
  if (desk.busy) r["scan-form"].setAttribute("aria-busy", "true");
  else r["scan-form"].removeAttribute("aria-busy");

  const memberKey = JSON.stringify([desk.lookup, desk.card, desk.member, desk.holds, rules?.max_loans ?? null]);
  if (r.member.dataset.key !== memberKey || logAll) {
    r.member.dataset.key = memberKey;
    drawMember(r.member);
  }
  drawLog(view, r, logAll);
}

function drawMember(container) {
  if (desk.lookup === "idle") {
    container.replaceChildren();
    return;
  }
  if (desk.lookup === "pending") {
    container.replaceChildren(el("p", { className: "loading" }, el("span", { className: "spinner", "aria-hidden": "true" }), `Looking up card ${desk.card}…`));
    return;
  }
  if (desk.lookup === "missing" || desk.lookup === "failed") {
    container.replaceChildren(el("p", { className: "inline-problem", role: "alert" },
      el("strong", { text: desk.lookup === "missing" ? t("No such member.") : `${desk.problem.title}.` }), ` ${desk.problem.detail}`));
    return;
  }
  if (desk.lookup === "choose") {
    container.replaceChildren(choiceList());
    return;
  }
  const m = desk.member;
  const suspended = m.status === "suspended";
  const card = el("div", { className: `member-panel${suspended ? " is-suspended" : ""}` },
    el("p", { className: "member-name" }, el("a", { href: `#/members/${m.id}`, text: m.name })),
    el("p", { className: "badges" },
      el("span", { className: "badge mono", text: `Card ${m.card_number}` }),
      el("span", { className: `badge${suspended ? " is-disabled" : ""}`, text: MEMBER_STATUS_LABELS[m.status] ?? m.status })),
  );
  if (suspended) {
    card.append(el("p", { className: "inline-problem" },
      el("strong", { text: "Suspended:" }), " this card cannot borrow. Checkouts will be refused until it is reactivated."));
  }
  const facts = el("dl", { className: "card-facts" },
    el("div", { className: "fact" }, el("dt", { text: "On loan" }), el("dd", { text: loansOfLimit(m.active_loans, rules?.max_loans) })),
    el("div", { className: "fact" }, el("dt", { text: "Ready holds" }), el("dd", { text: desk.holds.length ? String(desk.holds.length) : "None" })),
  );
  card.append(facts);
  if (desk.holds.length) {
    card.append(el("ul", { className: "ready-holds" }, ...desk.holds.map((hold) => el("li", {},
      el("strong", { text: hold.book_title }),
      hold.copy_barcode ? ` (copy ${hold.copy_barcode})` : "",
      `: ${holdStatusText(hold)}`))));
  }
  const next = el("button", { type: "button", className: "button secondary small", text: "Next member" });
  next.addEventListener("click", nextMember);
  card.append(el("p", { className: "actions" }, next));
  container.replaceChildren(card);
}

/** The matches of a lookup as buttons: arrow keys move between them, Enter picks, Esc goes back to the field. */
function choiceList() {
  const buttons = desk.choices.map((member) => {
    const button = el("button", { type: "button", className: "choice" },
      el("strong", { text: member.name }), " ", el("span", { className: "mono", text: member.card_number }),
      member.status === "suspended" ? el("span", { className: "badge is-disabled", text: t("Suspended") }) : "");
    button.addEventListener("click", () => choose(member));
    return button;
  });
  const list = el("ul", { className: "choice-list", "aria-label": t("Matching members") }, ...buttons.map((b) => el("li", {}, b)));
  list.addEventListener("keydown", (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = at === -1 ? 0 : (at + (event.key === "ArrowDown" ? 1 : buttons.length - 1)) % buttons.length;
      buttons[next].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      const card = refs(active.view).card;
      card.focus();
      card.select();
    }
  });
  return el("div", { className: "member-choices" },
    el("p", { id: "desk-choices-hint", text: t("Several members match “{card}”: choose one.", { card: desk.card }) }), list);
}

function drawLog(view, r, logAll) {
  let seen = drawn.get(view);
  if (!seen || logAll) {
    seen = new Set();
    drawn.set(view, seen);
    r.log.replaceChildren();
  }
  // Entries are newest first; add the new ones at the top, oldest of them first.
  const fresh = desk.log.filter((entry) => !seen.has(entry.id)).reverse();
  for (const entry of fresh) {
    seen.add(entry.id);
    r.log.prepend(logLine(entry, { announce: !logAll }));
  }
  r["log-empty"].hidden = desk.log.length > 0;
}

function logLine(entry, { announce }) {
  const alert = announce ? { role: "alert" } : {};
  if (entry.kind === "error") {
    return el("li", { className: "log-line is-error" },
      el("p", alert, el("span", { className: "log-icon", "aria-hidden": "true", text: "✗" }), " ", deskLogText(entry)));
  }
  const book = el("a", { href: `#/books/${entry.bookId}`, text: entry.title });
  if (entry.kind === "checkout") {
    return el("li", { className: "log-line is-checkout" },
      el("p", {}, el("span", { className: "log-icon", "aria-hidden": "true", text: "→" }), " ",
        el("strong", { text: "Checked out " }), book, ` (${entry.barcode})`, entry.memberName ? ` to ${entry.memberName}` : "",
        ". ", el("span", { className: "due-on", text: `Due ${formatDate(entry.dueAt)}` })));
  }
  let line;
  if (entry.kind === "capture" || entry.kind === "clear") {
    line = el("li", { className: `log-line is-return${entry.holdFor ? " has-hold" : ""}` },
      el("p", {}, el("span", { className: "log-icon", "aria-hidden": "true", text: entry.kind === "capture" ? "⇣" : "↺" }), " ",
        deskLogText(entry)));
  } else {
    line = el("li", { className: `log-line is-return${entry.holdFor ? " has-hold" : ""}` },
      el("p", {}, el("span", { className: "log-icon", "aria-hidden": "true", text: "←" }), " ",
        el("strong", { text: "Returned " }), book, ` (${entry.barcode})`, entry.memberName ? ` from ${entry.memberName}` : "", ".",
        entry.overdue ? el("span", { className: "badge badge-overdue", text: "Was overdue" }) : ""));
  }
  if (entry.holdFor) {
    line.append(el("p", { className: "hold-shelf", ...alert },
      el("span", { className: "visually-hidden", text: `Returned “${entry.title}”. ` }),
      el("span", { "aria-hidden": "true", text: "⚑ " }), holdShelfText(entry.holdFor)));
  }
  return line;
}
