// #/members/{id} — staff: one member's card, details and status (suspend or reactivate), their loans
// (Renew, Check in) and open holds (Cancel), and a link to check out to them at the desk. A card waiting for
// approval (signed up online) is approved with a card number or rejected; the details are edited in place; the
// card's login is shown with its actions (password link, unlink), or one is given or linked (memberaccount.js).

import { getMember, updateMember, listLoans, listHolds } from "../api.js";
import { clone, refs, el, showLoading, showProblem, showEmpty, isAbort, doneLoading, loadForView, inlineProblem, setText } from "../dom.js";
import { sortLoans, sortHolds, deskHash, MEMBER_STATUS_LABELS } from "../circulation.js";
import { formatDate } from "../format.js";
import { t } from "../i18n.js";
import { loanItem, holdItem } from "./circitems.js";
import { drawManage, drawPending } from "./memberaccount.js";
import { memberPrivacyControl } from "./history.js";

/** Load the member and draw them; a 404 shows the not-found view. */
export async function render(ctx) {
  showLoading(ctx.root, t("Loading member…"));
  const member = await loadForView(
    ctx,
    (options) => getMember(ctx.params.id, options),
    { title: t("Member not found"), detail: t("There is no member with this number.") },
    () => render(ctx),
  );
  if (member === undefined) return;
  const view = clone("tpl-member");
  const page = { ctx, view, member };
  page.changed = (updated, message) => {
    page.member = updated;
    drawMember(page);
    if (message) say(page, message);
  };
  drawMember(page);
  drawManage(page);
  refs(view)["toggle-status"].addEventListener("click", () => toggleStatus(page));
  view.append(memberPrivacyControl(member, { signal: ctx.signal, say: (message) => say(page, message) }));
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
  await Promise.all([loadLoans(page), loadHolds(page)]);
}

function fact(term, value) {
  return el("div", { className: "fact" }, el("dt", { text: term }), el("dd", { text: value }));
}

function drawMember(page) {
  const { view, member } = page;
  const r = refs(view);
  r.name.textContent = member.name;
  const suspended = member.status === "suspended";
  const pending = member.status === "pending";
  r.status.textContent = MEMBER_STATUS_LABELS[member.status] ? t(MEMBER_STATUS_LABELS[member.status]) : member.status; // i18n: MEMBER_STATUS_LABELS
  r.status.classList.toggle("is-disabled", suspended);
  r.facts.replaceChildren(
    fact(t("Card number"), member.card_number ?? t("None yet")),
    fact(t("Email"), member.email || "—"),
    fact(t("Phone"), member.phone || "—"),
    fact(t("Login"), member.user_email ? t("{email}: they see their loans under “My loans”", { email: member.user_email }) : t("None")),
    fact(pending ? t("Signed up") : t("Member since"), formatDate(member.created_at)),
    el("div", { className: "fact" }, el("dt", { text: t("E-mails") }),
      el("dd", {}, el("a", { href: `#/notices?member=${member.id}`, text: t("Notices sent to {name}", { name: member.name }) }))),
  );
  r["card-actions"].hidden = pending;
  if (!pending) r.desk.href = deskHash({ mode: "checkout", card: member.card_number });
  r.links.hidden = pending;
  r.links.replaceChildren(
    el("a", { href: `#/desk/loans?member=${member.id}`, text: t("Loans as a list (CSV)") }), " · ",
    el("a", { href: `#/desk/labels?kind=card&member=${member.id}`, text: t("Print a library card") }));
  r.desk.hidden = suspended;
  r["toggle-status"].textContent = suspended ? t("Reactivate card") : t("Suspend card");
  drawPending(page);
}

async function toggleStatus(page) {
  const { ctx, view } = page;
  const r = refs(view);
  const button = r["toggle-status"];
  const status = page.member.status === "suspended" ? "active" : "suspended";
  button.disabled = true;
  r.problem.replaceChildren();
  try {
    page.member = await updateMember(page.member.id, { status });
    drawMember(page);
    setText(r.notice, status === "suspended"
      ? t("Suspended {name}’s card: they cannot borrow until it is reactivated.", { name: page.member.name })
      : t("Reactivated {name}’s card.", { name: page.member.name }));
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    r.problem.replaceChildren(inlineProblem(t("Could not change the card’s status"), error));
  } finally {
    button.disabled = false;
    button.focus();
  }
}

function say(page, message) {
  const r = refs(page.view);
  r.notice.hidden = false;
  r.notice.textContent = message;
}

async function loadLoans(page, { focus = false } = {}) {
  const { ctx, view, member } = page;
  const r = refs(view);
  showLoading(r.loans, t("Loading loans…"));
  try {
    const loans = await listLoans({ member_id: member.id, active: true, per_page: 100 }, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    r["loans-heading"].textContent = t("On loan ({count})", { count: loans.total });
    if (loans.items.length === 0) showEmpty(r.loans, t("Nothing on loan."));
    else {
      r.loans.replaceChildren(el("ul", { className: "cards loan-list" }, ...sortLoans(loans.items).map((loan) => loanItem(loan, {
        staff: true,
        showMember: false,
        say: (message) => say(page, message),
        changed: () => {
          loadLoans(page, { focus: true });
          loadHolds(page);
        },
      }))));
      doneLoading(r.loans);
    }
    if (focus) r["loans-heading"].focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    showProblem(r.loans, error, () => loadLoans(page, { focus: true }));
  }
}

async function loadHolds(page, { focus = false } = {}) {
  const { ctx, view, member } = page;
  const r = refs(view);
  showLoading(r.holds, t("Loading holds…"));
  try {
    const options = { signal: ctx.signal };
    const [ready, waiting] = await Promise.all([
      listHolds({ member_id: member.id, status: "ready", per_page: 100 }, options),
      listHolds({ member_id: member.id, status: "waiting", per_page: 100 }, options),
    ]);
    if (ctx.signal.aborted) return;
    const holds = sortHolds([...ready.items, ...waiting.items]);
    r["holds-heading"].textContent = t("Holds ({count})", { count: ready.total + waiting.total });
    if (holds.length === 0) showEmpty(r.holds, t("No open holds."));
    else {
      r.holds.replaceChildren(el("ul", { className: "cards hold-list" }, ...holds.map((hold) => holdItem(hold, {
        host: view, showMember: false, say: (message) => say(page, message), changed: () => loadHolds(page, { focus: true }),
      }))));
      doneLoading(r.holds);
    }
    if (focus) r["holds-heading"].focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    showProblem(r.holds, error, () => loadHolds(page, { focus: true }));
  }
}
