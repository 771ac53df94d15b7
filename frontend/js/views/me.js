// #/me — the signed-in user's library card: their loans (due dates, overdue said in words, Renew),
// their holds (place in the queue, ready to pick up, Cancel after confirming) and the private
// calendar feed of their due dates. An account without a card gets a friendly note instead.

import { getMyMember, listLoans, listHolds, getMyCalendar, resetMyCalendar } from "../api.js";
import { clone, refs, el, showLoading, showProblem, showEmpty, isAbort, doneLoading, confirmDialog, inlineProblem } from "../dom.js";
import { sortLoans, sortHolds } from "../circulation.js";
import { countLabel } from "../format.js";
import { loanItem, holdItem } from "./circitems.js";
import { noticeChoicesPanel } from "./noticechoices.js";

/** Draw the page, then load the card, loans and holds. */
export async function render(ctx) {
  const view = clone("tpl-me");
  const r = refs(view);
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  showLoading(r.body, "Loading your loans…");
  ctx.ready();

  let card;
  try {
    card = await getMyMember({ signal: ctx.signal });
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    if (error.status === 404) {
      r.lede.textContent = "";
      showEmpty(r.body, "You don’t have a library card yet.",
        "Ask at the library desk to link a card to your account. Your loans, holds and due dates will then show here.",
        el("a", { href: "#/books", text: "Browse the catalog" }));
      return;
    }
    showProblem(r.body, error, () => render(ctx));
    return;
  }
  if (ctx.signal.aborted) return;

  r.lede.textContent = `Library card ${card.card_number}, ${card.name}.`;
  const body = clone("tpl-me-body");
  r.body.replaceChildren(body);
  doneLoading(r.body);
  if (card.status === "suspended") {
    body.prepend(el("p", { className: "inline-problem" },
      el("strong", { text: "Your card is suspended." }), " You cannot borrow or renew until it is reactivated. Please ask at the desk."));
  }
  const page = { ctx, view, body, card };
  body.append(noticeChoicesPanel(ctx));
  setUpCalendar(page);
  await Promise.all([loadLoans(page), loadHolds(page)]);
}

function say(page, message) {
  refs(page.body).status.textContent = message;
}

async function loadLoans(page, { focus = false } = {}) {
  const { ctx, body, card } = page;
  const r = refs(body);
  showLoading(r.loans, "Loading loans…");
  try {
    const loans = await listLoans({ member_id: card.id, active: true, per_page: 100 }, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    r["loans-heading"].textContent = `On loan (${loans.total})`;
    if (loans.items.length === 0) {
      showEmpty(r.loans, "You have nothing on loan.", "", el("a", { href: "#/books?available=true", text: "Find a book that is available now" }));
    } else {
      const overdue = loans.items.filter((l) => l.overdue).length;
      const parts = [];
      if (overdue) {
        parts.push(el("p", { className: "inline-problem" }, el("strong", { text: `${countLabel(overdue, "loan")} overdue.` }),
          " Please return or renew ", overdue === 1 ? "it" : "them", " as soon as you can."));
      }
      parts.push(el("ul", { className: "cards loan-list" }, ...sortLoans(loans.items).map((loan) =>
        loanItem(loan, { say: (message) => say(page, message), changed: () => loadLoans(page, { focus: true }) }))));
      r.loans.replaceChildren(...parts);
      doneLoading(r.loans);
    }
    if (focus) r["loans-heading"].focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r["loans-heading"].textContent = "On loan";
    showProblem(r.loans, error, () => loadLoans(page, { focus: true }));
  }
}

async function loadHolds(page, { focus = false } = {}) {
  const { ctx, view, body, card } = page;
  const r = refs(body);
  showLoading(r.holds, "Loading holds…");
  try {
    const options = { signal: ctx.signal };
    const [ready, waiting] = await Promise.all([
      listHolds({ member_id: card.id, status: "ready", per_page: 100 }, options),
      listHolds({ member_id: card.id, status: "waiting", per_page: 100 }, options),
    ]);
    if (ctx.signal.aborted) return;
    const holds = sortHolds([...ready.items, ...waiting.items]);
    r["holds-heading"].textContent = `Holds (${ready.total + waiting.total})`;
    if (holds.length === 0) {
      showEmpty(r.holds, "You have no holds.", "Place a hold on a book’s page when all its copies are out; you will be told when one is ready for you.");
    } else {
      r.holds.replaceChildren(el("ul", { className: "cards hold-list" }, ...holds.map((hold) =>
        holdItem(hold, { mine: true, host: view, say: (message) => say(page, message), changed: () => loadHolds(page, { focus: true }) }))));
      doneLoading(r.holds);
    }
    if (focus) r["holds-heading"].focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r["holds-heading"].textContent = "Holds";
    showProblem(r.holds, error, () => loadHolds(page, { focus: true }));
  }
}

// ---- The calendar feed: a private address, shown on demand, replaced by a new one on reset. ----

function setUpCalendar({ ctx, view, body }) {
  const r = refs(body);
  const showUrl = (url) => {
    r["calendar-url"].value = url;
    r.calendar.hidden = false;
    r["calendar-show"].hidden = true;
    r["calendar-status"].textContent = "Copy the address into your calendar app. Anyone with it can see your due dates.";
    r["calendar-url"].focus();
    r["calendar-url"].select();
  };
  const failed = (lead, error) => {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    r["calendar-problem"].replaceChildren(inlineProblem(lead, error));
  };

  r["calendar-show"].addEventListener("click", async () => {
    r["calendar-problem"].replaceChildren();
    r["calendar-show"].disabled = true;
    try {
      showUrl((await getMyCalendar({ signal: ctx.signal })).url);
    } catch (error) {
      failed("Could not get your calendar link", error);
    } finally {
      r["calendar-show"].disabled = false;
    }
  });

  r["calendar-reset"].addEventListener("click", async () => {
    const ok = await confirmDialog(view, {
      title: "Make a new calendar link?",
      text: "The old link stops working at once: calendars subscribed to it will stop updating until you add the new one.",
      confirmLabel: "Make a new link",
      opener: r["calendar-reset"],
    });
    if (!ok) return;
    r["calendar-problem"].replaceChildren();
    r["calendar-reset"].disabled = true;
    try {
      showUrl((await resetMyCalendar({ signal: ctx.signal })).url);
    } catch (error) {
      failed("Could not make a new calendar link", error);
    } finally {
      r["calendar-reset"].disabled = false;
    }
  });

  r["calendar-copy"].addEventListener("click", async () => {
    const input = r["calendar-url"];
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
      await navigator.clipboard.writeText(input.value);
      r["calendar-status"].textContent = "Copied the calendar address to the clipboard.";
    } catch {
      input.focus();
      input.select();
      r["calendar-status"].textContent = "The address is selected: press Ctrl+C (or ⌘C) to copy it.";
    }
  });
}
