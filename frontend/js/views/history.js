// #/me/history?page= — a member's reading history: what they borrowed and returned (nobody else sees it), the
// switch that keeps it or not (off forgets it at once, after confirming), and clearing it. The same switch, for
// staff setting it at a member's request, is privacyControl() on the member's page.

import { getMyMember, listMyHistory, clearMyHistory, getMyPrivacy, updateMyPrivacy, getMemberPrivacy, updateMemberPrivacy } from "../api.js";
import { el, showLoading, showProblem, showEmpty, isAbort, doneLoading, confirmDialog, inlineProblem } from "../dom.js";
import { formatDate, formatNumber, listText } from "../format.js";
import { t, tn, currentLocale } from "../i18n.js";
import { pageInfo, toPositiveInt } from "../query.js";
import { buildHash } from "../router.js";
import { renderPager } from "./results.js";

const HISTORY_PATH = "/me/history";
const PER_PAGE = 20;

function day(iso) {
  return formatDate(iso, currentLocale());
}

/** Draw the page, then the member's setting and their history. */
export async function render(ctx) {
  const page = toPositiveInt(ctx.query.page, 1, 100_000);
  const status = el("p", { className: "notice", role: "status" });
  const body = el("div");
  const view = el("section", { className: "view view-history", dataset: { view: "history" } },
    el("p", { className: "back" }, el("a", { href: "#/me" }, el("span", { "aria-hidden": "true", text: "← " }), t("Back to my loans"))),
    el("h1", { tabindex: "-1", text: t("Reading history") }),
    el("p", { className: "lede", text: t("What you have borrowed and brought back. Only you can see it: the library’s staff see what you have on loan now, never what you read before, and the library’s statistics count loans without names.") }),
    status, body);
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  showLoading(body, t("Loading your history…"));
  ctx.ready();
  try {
    await getMyMember({ signal: ctx.signal });
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    if (error.status === 404) {
      showEmpty(body, t("You don’t have a library card yet."), t("Ask at the library desk to link a card to your account."),
        el("a", { href: "#/books", text: t("Browse the catalog") }));
    } else {
      showProblem(body, error, () => render(ctx));
    }
    return;
  }
  if (ctx.signal.aborted) return;
  const list = el("section", { className: "panel", "aria-labelledby": "history-list-heading" },
    el("h2", { id: "history-list-heading", tabindex: "-1", text: t("Returned") }));
  const listBody = el("div");
  const pager = el("div");
  list.append(listBody, pager);
  const say = (message) => { status.textContent = message; };
  const reload = () => loadHistory(ctx, { listBody, pager, page, say, heading: list.querySelector("h2") });
  body.replaceChildren(privacyControl({
    load: (opts) => getMyPrivacy(opts), save: (keep) => updateMyPrivacy({ keep_history: keep }), signal: ctx.signal,
    label: t("Keep my reading history"), say, changed: reload,
    hint: t("Off: what you have returned is forgotten at once, and each loan from now on when you bring it back."),
  }), list);
  doneLoading(body);
  await reload();
}

async function loadHistory(ctx, { listBody, pager, page, say, heading }) {
  showLoading(listBody, t("Loading your history…"));
  try {
    const envelope = await listMyHistory({ page, per_page: PER_PAGE }, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = pageInfo(envelope);
    heading.textContent = t("Returned ({count})", { count: formatNumber(info.total, currentLocale()) });
    renderPager(pager, info, (n) => buildHash(HISTORY_PATH, { page: n }, { page: 1 }));
    if (!envelope.items.length) {
      showEmpty(listBody, info.outOfRange ? t("This page is past the end of the list.") : t("Nothing here yet."),
        info.outOfRange ? "" : t("Books you return show here while you keep your history."));
      return;
    }
    const clear = el("button", { type: "button", className: "button danger small", text: t("Clear my history") });
    clear.addEventListener("click", () => clearHistory(ctx, { listBody, pager, page, say, heading }, clear, info.total));
    listBody.replaceChildren(
      el("ul", { className: "cards history-list" }, ...envelope.items.map((item) => el("li", { className: "card" },
        el("h3", { className: "card-title" }, el("a", { href: `#/books/${item.book_id}`, text: item.title })),
        item.authors.length ? el("p", { className: "card-sub", text: listText(item.authors, currentLocale()) }) : null,
        el("p", { className: "card-meta", text: t("Borrowed {borrowed}, returned {returned}", {
          borrowed: day(item.loaned_at), returned: day(item.returned_at) }) })))),
      el("p", { className: "actions" }, clear));
    doneLoading(listBody);
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    showProblem(listBody, error, () => loadHistory(ctx, { listBody, pager, page, say, heading }));
  }
}

async function clearHistory(ctx, parts, button, count) {
  const ok = await confirmDialog(ctx.root, {
    title: t("Clear your reading history?"),
    text: tn(count, "The {count} book you have returned is forgotten for good. The library still counts the loan, without your name.",
      "The {count} books you have returned are forgotten for good. The library still counts the loans, without your name."),
    confirmLabel: t("Clear my history"),
    opener: button,
  });
  if (!ok) return;
  button.disabled = true;
  try {
    await clearMyHistory();
    parts.say(t("Your reading history is cleared."));
    await loadHistory(ctx, parts);
    parts.heading.focus();
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    button.disabled = false;
    parts.listBody.prepend(inlineProblem(t("Could not clear your history"), error));
  }
}

/**
 * The "keep reading history" switch: a checkbox and a Save button. Turning it off asks first (it forgets what is
 * returned, for good); the outcome is said with say(). load/save call the API for the member in question.
 */
export function privacyControl({ load, save, signal, label, hint, say, changed = () => {} }) {
  const id = `keep-history-${Math.random().toString(36).slice(2, 8)}`;
  const box = el("input", { type: "checkbox", id, name: "keep_history", "aria-describedby": `${id}-hint`, disabled: true });
  const submit = el("button", { type: "submit", className: "button secondary small", text: t("Save"), disabled: true });
  const problem = el("div");
  const form = el("form", { className: "panel privacy-form" },
    el("h2", { text: t("Keeping the reading history") }),
    el("div", { className: "check" }, box, el("label", { for: id, text: label })),
    el("p", { className: "hint", id: `${id}-hint`, text: hint }),
    problem,
    el("p", { className: "actions" }, submit));
  let kept = null;
  load({ signal }).then((privacy) => {
    kept = privacy.keep_history;
    box.checked = kept;
    box.disabled = false;
    submit.disabled = false;
  }).catch((error) => {
    if (isAbort(error) || signal?.aborted || error.status === 401) return;
    problem.replaceChildren(inlineProblem(t("Could not load the setting"), error));
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const keep = box.checked;
    if (keep === kept) {
      say(keep ? t("The reading history is kept (no change).") : t("The reading history is not kept (no change)."));
      return;
    }
    if (!keep) {
      const ok = await confirmDialog(form.parentElement ?? document.body, {
        title: t("Stop keeping the reading history?"),
        text: t("Everything returned so far is forgotten at once, for good, and each loan from now on when it comes back. The library’s statistics still count the loans, without a name."),
        confirmLabel: t("Stop keeping it"),
        opener: submit,
      });
      if (!ok) return;
    }
    submit.disabled = true;
    problem.replaceChildren();
    try {
      const result = await save(keep);
      kept = result.keep_history;
      box.checked = kept;
      say(kept ? t("The reading history is kept from now on.")
        : tn(result.forgotten, "The reading history is off: {count} returned loan was forgotten.",
          "The reading history is off: {count} returned loans were forgotten."));
      changed();
    } catch (error) {
      if (signal?.aborted || error.status === 401) return;
      problem.replaceChildren(inlineProblem(t("Could not change the setting"), error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The switch on a member's page, for staff changing it at the member's request (a card without a login). */
export function memberPrivacyControl(member, { signal, say }) {
  return privacyControl({
    load: (opts) => getMemberPrivacy(member.id, opts), save: (keep) => updateMemberPrivacy(member.id, { keep_history: keep }),
    signal, say, label: t("Keep {name}’s reading history", { name: member.name }),
    hint: t("Only at the member’s request. Staff never see past loans either way; off forgets what is returned at once."),
  });
}
