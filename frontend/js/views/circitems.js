// Loan and hold cards shared by #/me and #/members/{id}: the due date in words (overdue is said, not
// only coloured), Renew (and for staff Check in), a hold's place in the queue, and Cancel after a
// confirmation. Each card answers for itself; `say` puts a message in the page's status area and
// `changed` asks the page to reload its lists (after a check-in or a cancelled hold).

import { renewLoan, returnLoan, cancelHold } from "../api.js";
import { clone, refs, el, inlineProblem, confirmDialog, focusLost, setText } from "../dom.js";
import { dueStatus, renewalsText, renewOffer, holdStatusText, holdShelfText } from "../circulation.js";
import { formatDate } from "../format.js";
import { t } from "../i18n.js";

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

/** Run `action` with `button` disabled; focus comes back to the button if it was lost meanwhile. */
async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (button.isConnected && focusLost()) button.focus();
  }
}

function fillLoan(node, loan, { showMember }) {
  const r = refs(node);
  r.link.href = `#/books/${loan.book_id}`;
  r.link.textContent = loan.book_title;
  const due = dueStatus(loan);
  r.overdue.hidden = !due.overdue;
  r["due-text"].textContent = due.overdue ? due.text.replace(/^Overdue: /, "") : due.text;
  node.classList.toggle("is-overdue", due.overdue);
  r.facts.replaceChildren(
    ...(showMember ? [fact("Member", `${loan.member_name} (card ${loan.card_number})`)] : []),
    fact("Barcode", loan.barcode),
    fact("Borrowed", formatDate(loan.loaned_at)),
    fact("Renewals", renewalsText(loan)),
  );
  // Renew only when the server would grant it, saying the new due date; otherwise why not.
  const renewal = renewOffer(loan);
  r.renew.hidden = !renewal.offer;
  r.renew.textContent = renewal.label;
  r.renew.setAttribute("aria-label", `${renewal.label}: “${loan.book_title}”`);
  setText(r["renew-note"], renewal.offer ? "" : renewal.reason);
  r.return.setAttribute("aria-label", `Check in “${loan.book_title}”`);
}

/**
 * A card for an active Loan. staff: also "Check in" (POST /loans/{id}/return) and the member's name.
 * say(message) reports a success; changed() is called after a check-in.
 */
export function loanItem(loan, { staff = false, showMember = staff, say, changed }) {
  const node = clone("tpl-loan-item");
  const r = refs(node);
  let current = loan;
  node.dataset.loanId = String(loan.id);
  fillLoan(node, current, { showMember });
  r.return.hidden = !staff;

  r.renew.addEventListener("click", () => busy(r.renew, async () => {
    r.problem.replaceChildren();
    try {
      current = await renewLoan(current.id);
      fillLoan(node, current, { showMember });
      if (r.renew.hidden) r.link.focus(); // no further renewal: the button is gone
      say(`Renewed “${current.book_title}”: now due ${formatDate(current.due_at)}.`);
    } catch (error) {
      if (error.status === 401 || error.name === "AbortError") return;
      r.problem.replaceChildren(inlineProblem(`Could not renew “${current.book_title}”`, error));
    }
  }));

  r.return.addEventListener("click", () => busy(r.return, async () => {
    r.problem.replaceChildren();
    try {
      const { loan: returned, hold } = await returnLoan(current.id);
      const shelf = hold ? ` ${holdShelfText({ name: hold.member_name, pickupBy: hold.pickup_by })}.` : "";
      say(`Checked in “${returned.book_title}” (${returned.barcode}).${shelf}`);
      changed?.();
    } catch (error) {
      if (error.status === 401 || error.name === "AbortError") return;
      r.problem.replaceChildren(inlineProblem(`Could not check in “${current.book_title}”`, error));
    }
  }));
  return node;
}

/**
 * A card for a Hold. mine: the signed-in member's own (the wording says "your"); staff cards name the
 * member. Cancelling asks first, in a dialog added to `host`.
 */
export function holdItem(hold, { mine = false, showMember = !mine, host, say, changed }) {
  const node = clone("tpl-hold-item");
  const r = refs(node);
  node.dataset.holdId = String(hold.id);
  node.classList.toggle("is-ready", hold.status === "ready");
  r.link.href = `#/books/${hold.book_id}`;
  r.link.textContent = hold.book_title;
  r.state.textContent = holdStatusText(hold);
  r.facts.replaceChildren(
    ...(showMember ? [fact("Member", hold.member_name)] : []),
    fact("Placed", formatDate(hold.placed_at)),
    ...(hold.status === "ready" && hold.copy_barcode ? [fact("Copy on the hold shelf", hold.copy_barcode)] : []),
    // Staff see who cannot be told by e-mail (no address): they call or tell them at the desk.
    ...(showMember && hold.member_has_email === false ? [fact(t("E-mail"), t("None: tell them another way"))] : []),
  );
  r.cancel.setAttribute("aria-label", `Cancel the hold on “${hold.book_title}”`);
  const closed = !["waiting", "ready"].includes(hold.status);
  r.cancel.hidden = closed;

  r.cancel.addEventListener("click", async () => {
    const whose = mine ? "Your" : `${hold.member_name}’s`;
    const ok = await confirmDialog(host, {
      title: "Cancel this hold?",
      text: `${whose} hold on “${hold.book_title}” will be cancelled.${hold.status === "ready" ? " The copy on the hold shelf goes to the next in line." : ""}`,
      confirmLabel: "Cancel hold",
      cancelLabel: "Keep it",
      opener: r.cancel,
    });
    if (!ok) return;
    await busy(r.cancel, async () => {
      r.problem.replaceChildren();
      try {
        await cancelHold(hold.id);
      } catch (error) {
        if (error.status === 401 || error.name === "AbortError") return;
        if (error.status !== 404) {
          r.problem.replaceChildren(inlineProblem("Could not cancel the hold", error));
          return;
        }
        // Already gone: the outcome asked for.
      }
      say(`Cancelled the hold on “${hold.book_title}”.`);
      changed?.();
    });
  });
  return node;
}
