// #/me — the signed-in user's library card: their loans (due dates, overdue said in words, Renew),
// their holds (place in the queue, ready to pick up, Cancel after confirming), the private
// calendar feed of their due dates and their contact details. An account without a card is told how to get
// one (and may ask for one online when the library allows it); a card waiting for approval says so.

import { getMyMember, listLoans, listHolds, getMyCalendar, resetMyCalendar, getPublicSettings, applyForCard,
  updateMyContact } from "../api.js";
import { clone, refs, el, showLoading, showProblem, showEmpty, isAbort, doneLoading, confirmDialog, inlineProblem } from "../dom.js";
import { sortLoans, sortHolds } from "../circulation.js";
import { countLabel } from "../format.js";
import { loanItem, holdItem } from "./circitems.js";
import { memberPatchBody } from "../accounts.js";
import { t } from "../i18n.js";
import { currentCard, currentUser, displayName, getSession, setUser } from "../session.js";
import { busy, clearFieldErrors, contactFields, errorSummary, field, showFormProblem } from "./formparts.js";
import { noticeChoicesPanel } from "./noticechoices.js";

/** Draw the page, then load the card, loans and holds. */
export async function render(ctx) {
  const view = clone("tpl-me");
  const r = refs(view);
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  showLoading(r.body, "Loading your loans…");
  ctx.ready();

  // /auth/me said whether there is a card: without one, offer the ways to get one rather than ask for it (a 404).
  let card = null;
  if (currentCard()) {
    try {
      card = await getMyMember({ signal: ctx.signal });
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
      if (error.status !== 404) {
        showProblem(r.body, error, () => render(ctx));
        return;
      }
    }
  }
  if (ctx.signal.aborted) return;
  if (!card) {
    r.lede.textContent = "";
    await drawNoCard(ctx, view);
    return;
  }
  if (ctx.signal.aborted) return;

  if (card.status === "pending") {
    r.lede.textContent = t("Your card is waiting for approval, {name}.", { name: card.name });
    r.body.replaceChildren(el("p", { className: "inline-note", text: t("The library checks each sign-up and gives you a card number. Until then you cannot borrow or place holds; this page shows your card as soon as it is ready.") }),
      contactPanel(ctx, card));
    doneLoading(r.body);
    return;
  }
  r.lede.textContent = `Library card ${card.card_number}, ${card.name}.`;
  const body = clone("tpl-me-body");
  r.body.replaceChildren(body);
  body.append(contactPanel(ctx, card));
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

// ---- No card yet: how to get one ----

async function drawNoCard(ctx, view) {
  const r = refs(view);
  const user = currentUser();
  showEmpty(r.body, "You don’t have a library card yet.",
    t("Staff at the library desk can link a card to your account: tell them the email you log in with, {email}. Your loans, holds and due dates then show here.", { email: user.email }),
    el("a", { href: "#/books", text: "Browse the catalog" }));
  let settings = null;
  try {
    settings = await getPublicSettings({ signal: ctx.signal });
  } catch {
    return; // the desk's way still works
  }
  if (ctx.signal.aborted || !settings?.self_registration) return;
  const summary = errorSummary(3);
  const form = el("form", { className: "stack-form", novalidate: true },
    field({ id: "apply-name", name: "name", label: t("Name for the card"), autocomplete: "name", maxlength: "100",
      value: displayName(user) }),
    field({ id: "apply-phone", name: "phone", type: "tel", label: t("Phone (optional)"), autocomplete: "tel", maxlength: "50" }),
    el("div", { className: "actions" }, el("button", { type: "submit", className: "button", text: t("Ask for a card") })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      try {
        const applied = await applyForCard({ name: form.elements.name.value.trim(), phone: form.elements.phone.value.trim() || null });
        const { user, via, scopes } = getSession(); // /auth/me would now name the new card, as pending
        setUser(user, { via, scopes, card: { id: applied.id, status: applied.status } });
        ctx.navigate("#/me", { force: true, message: t("Thank you: the library will check your request and give you a card number.") });
      } catch (error) {
        if (ctx.signal.aborted || error.status === 401) return;
        showFormProblem(form, summary, error, ["name", "phone"], t("request"));
      }
    });
  });
  r.body.append(el("section", { className: "panel", "aria-labelledby": "apply-heading" },
    el("h2", { id: "apply-heading", text: t("Or ask for a card online") }),
    el("p", { className: "hint-text", text: t("Staff check each request and give you a card number.") }),
    summary, form));
}

// ---- Contact details the member keeps up to date ----

function contactPanel(ctx, card) {
  let current = card;
  const summary = errorSummary(3);
  const notice = el("p", { className: "notice", role: "status", tabindex: "-1" });
  const form = el("form", { className: "stack-form", novalidate: true },
    contactFields({ prefix: "contact", email: card.email ?? "", phone: card.phone ?? "", personal: true }),
    el("div", { className: "actions" }, el("button", { type: "submit", className: "button secondary", text: t("Save contact details") })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = memberPatchBody(current, { email: form.elements.email.value, phone: form.elements.phone.value }, ["email", "phone"]);
    notice.textContent = "";
    if (Object.keys(body).length === 0) {
      notice.textContent = t("Nothing was changed.");
      notice.focus();
      return;
    }
    busy(form, async () => {
      try {
        current = await updateMyContact(body);
        clearFieldErrors(form, summary);
        form.elements.email.value = current.email ?? "";
        form.elements.phone.value = current.phone ?? "";
        notice.textContent = t("Saved your contact details.");
        notice.focus();
      } catch (error) {
        if (ctx.signal.aborted || error.status === 401) return;
        showFormProblem(form, summary, error, ["email", "phone"], t("contact details"));
      }
    });
  });
  return el("section", { className: "panel", "aria-labelledby": "contact-heading" },
    el("h2", { id: "contact-heading", text: t("Your contact details") }),
    el("p", { className: "hint-text", text: t("How the library reaches you about loans and holds. The email you log in with stays as it is.") }),
    notice, summary, form);
}
