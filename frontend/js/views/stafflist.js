// The staff's lists, one view for all: #/desk/pull-list, #/desk/hold-shelf, #/desk/loans, #/desk/holds?book=,
// and #/desk/archive. Each is a table (a card per row on a phone), sortable and paged, its
// state in the URL (js/stafflists.js), with a CSV download of what is shown and, for the lists staff carry to
// the shelves, Print. Rows have the list's actions: put a pulled copy on the hold shelf, clear an expired hold,
// cancel a hold, restore an archived book; each says what happened and what to do with the copy.

import {
  listPullList, listHoldShelf, listLoans, listHolds, listArchivedBooks, captureHold, clearHold, cancelHold,
  restoreBook, getBook,
} from "../api.js";
import { el, showLoading, showProblem, showEmpty, isAbort, focusLost, doneLoading, confirmDialog, inlineProblem } from "../dom.js";
import { LISTS, sortOptions, staffListState, staffListParams, staffListHash, staffListCsvUrl } from "../stafflists.js";
import { dueStatus, holdStatusText, holdShelfText } from "../circulation.js";
import { formatDate } from "../format.js";
import { pageInfo } from "../query.js";
import { t, tn } from "../i18n.js";
import { renderPager } from "./results.js";
import { deskNav } from "./desknav.js";

const FETCH = { pull: listPullList, shelf: listHoldShelf, loans: listLoans, holds: listHolds, archive: listArchivedBooks };

const bookLink = (id, title) => el("a", { href: `#/books/${id}`, text: title });
// A returned loan or a closed hold comes without its member (reading-history privacy).
const memberLink = (id, name, card) => (id == null ? el("span", { className: "subtle", text: t("Not shown") })
  : el("span", {}, el("a", { href: `#/members/${id}`, text: name }),
    card ? el("span", { className: "mono subtle", text: ` ${card}` }) : ""));
const shelfCell = (item) => el("span", {}, item.location || "—",
  item.call_number ? el("span", { className: "call-number mono", text: item.call_number }) : "");
const dueCell = (loan) => {
  const due = dueStatus(loan);
  return el("span", { className: due.overdue ? "is-overdue-text" : "" }, due.overdue ? el("strong", { text: t("Overdue") }) : "",
    due.overdue ? " " : "", formatDate(loan.due_at));
};

/** The member a held copy is for, and a warning when no e-mail can tell them it is ready. */
const forCell = (item) => el("span", {}, memberLink(item.member_id, item.member_name, item.card_number),
  item.member_has_email === false ? el("span", { className: "badge badge-overdue", text: t("No e-mail: tell them") }) : "");

/** What each list shows: its words, columns ([header, cell]) and row action. */
const VIEWS = {
  pull: {
    nav: "pull",
    title: () => t("Pull list"),
    lede: () => t("Copies on the open shelf that waiting holds can take, oldest hold first. Fetch each one and scan it at the desk in return mode (or press “Put on hold shelf”): it then waits for the member on the hold shelf. A copy someone borrows meanwhile drops off this list."),
    print: true,
    columns: [
      [() => t("Title"), (i) => bookLink(i.book_id, i.book_title)],
      [() => t("Shelf"), shelfCell],
      [() => t("Barcode"), (i) => el("span", { className: "mono", text: i.barcode })],
      [() => t("For"), (i) => forCell(i)],
      [() => t("Hold placed"), (i) => formatDate(i.placed_at)],
    ],
    empty: () => t("Nothing to pull: no waiting hold has a copy on the shelf."),
    count: (n) => tn(n, "{count} copy to pull", "{count} copies to pull"),
    action: { label: (i) => t("Put on hold shelf"), aria: (i) => t("Put copy {barcode} on the hold shelf", { barcode: i.barcode }), run: capture },
  },
  shelf: {
    nav: "shelf",
    title: () => t("Hold shelf"),
    lede: () => t("Copies waiting for members to pick them up. When a pickup date has passed, clear the hold: the copy goes to the next in line (relabel it) or back to its shelf. Scanning the copy at the desk in return mode does the same."),
    print: true,
    columns: [
      [() => t("For"), (i) => forCell(i)],
      [() => t("Title"), (i) => bookLink(i.book_id, i.book_title)],
      [() => t("Barcode"), (i) => el("span", { className: "mono", text: i.barcode })],
      [() => t("Pick up by"), (i) => el("span", {}, formatDate(i.pickup_by),
        i.expired ? el("span", { className: "badge badge-overdue", text: t("To clear") }) : "")],
      [() => t("Its shelf"), shelfCell],
    ],
    filters: (state) => [selectFilter("expired", t("Show"), state.expired, [
      ["", t("Every copy on the hold shelf")], ["true", t("To clear: pickup date passed")], ["false", t("Waiting for pickup")]])],
    empty: (state) => (state.expired === "true" ? t("Nothing to clear: every hold is within its pickup date.") : t("The hold shelf is empty.")),
    count: (n) => tn(n, "{count} copy on the hold shelf", "{count} copies on the hold shelf"),
    action: { when: (i) => i.expired, label: () => t("Clear"), aria: (i) => t("Clear {name}’s hold on “{title}”", { name: i.member_name, title: i.book_title }), run: clear },
  },
  loans: {
    nav: "loans",
    title: (state) => (state.overdue === "true" ? t("Overdue loans") : t("Loans")),
    lede: () => t("Everything on loan now. Check copies in at the desk; members renew on their own page."),
    columns: [
      [() => t("Title"), (i) => bookLink(i.book_id, i.book_title)],
      [() => t("Barcode"), (i) => el("span", { className: "mono", text: i.barcode })],
      [() => t("Member"), (i) => memberLink(i.member_id, i.member_name, i.card_number)],
      [() => t("Borrowed"), (i) => formatDate(i.loaned_at)],
      [() => t("Due"), dueCell],
    ],
    filters: (state) => [checkFilter("overdue", t("Overdue only"), state.overdue === "true")],
    empty: (state) => (state.overdue === "true" ? t("Nothing is overdue.") : t("Nothing is on loan.")),
    count: (n) => tn(n, "{count} loan", "{count} loans"),
  },
  holds: {
    nav: "loans",
    title: () => t("Holds"),
    lede: () => t("The queue: the first in line gets the next copy that comes back or is pulled from the shelf."),
    columns: [
      [() => t("Place"), (i) => (i.position ? String(i.position) : "—")],
      [() => t("Member"), (i) => memberLink(i.member_id, i.member_name)],
      [() => t("Title"), (i) => bookLink(i.book_id, i.book_title)],
      [() => t("Status"), (i) => holdStatusText(i)],
      [() => t("Placed"), (i) => formatDate(i.placed_at)],
    ],
    filters: (state) => [selectFilter("status", t("Status"), state.status, [
      ["waiting", t("Waiting (the queue)")], ["ready", t("Ready on the hold shelf")], ["fulfilled", t("Collected")],
      ["cancelled", t("Cancelled")], ["expired", t("Expired")], ["all", t("All")]])],
    empty: () => t("No holds match."),
    count: (n) => tn(n, "{count} hold", "{count} holds"),
    action: { when: (i) => ["waiting", "ready"].includes(i.status), label: () => t("Cancel hold"), danger: true,
      aria: (i) => t("Cancel {name}’s hold on “{title}”", { name: i.member_name, title: i.book_title }), run: cancel },
  },
  archive: {
    nav: "archive",
    title: () => t("Archived books"),
    lede: () => t("Books taken out of the catalog and its search, kept with their loan history for the statistics. Restoring one brings it back; its copies stay withdrawn until you make them available."),
    columns: [
      [() => t("Title"), (i) => el("span", { text: i.title })],
      [() => t("Authors"), (i) => (i.authors ?? []).map((a) => a.name).join(", ") || "—"],
      [() => t("Archived"), (i) => formatDate(i.archived_at)],
    ],
    empty: () => t("No archived books."),
    count: (n) => tn(n, "{count} archived book", "{count} archived books"),
    action: { label: () => t("Restore"), aria: (i) => t("Restore “{title}” to the catalog", { title: i.title }), run: restore },
  },
};

function selectFilter(name, label, value, options) {
  const id = `list-filter-${name}`;
  const select = el("select", { id, name }, ...options.map(([v, text]) => {
    const option = el("option", { value: v, text });
    option.selected = v === value;
    return option;
  }));
  return el("div", { className: "field" }, el("label", { for: id, text: label }), select);
}

function checkFilter(name, label, checked) {
  const id = `list-filter-${name}`;
  const box = el("input", { id, name, type: "checkbox", value: "true" });
  box.checked = checked;
  return el("div", { className: "field field-check" }, el("div", { className: "check" }, box, el("label", { for: id, text: label })));
}

/** The view module for one list (main.js routes to it). */
export function listView(name) {
  return { render: (ctx) => render(ctx, name) };
}

async function render(ctx, name) {
  const spec = VIEWS[name];
  const state = staffListState(name, ctx.query);
  let view = ctx.sameView ? ctx.root.querySelector(`:scope > [data-view="list-${name}"]`) : null;
  if (!view) {
    view = await mount(ctx, name, spec, state);
    if (!view) return;
    ctx.root.replaceChildren(view);
    ctx.root.removeAttribute("aria-busy");
  }
  const page = { ctx, name, spec, state, view, parts: view.parts };
  drawControls(page);
  ctx.ready();
  await load(page);
}

/** The page's frame: heading, words, controls, the results area. */
async function mount(ctx, name, spec, state) {
  const heading = el("h1", { tabindex: "-1", text: spec.title(state) });
  const context = await contextLine(ctx, name, state);
  if (context === undefined) return null;
  const sort = el("select", { id: "list-sort", name: "sort" });
  const form = el("form", { className: "finder list-controls", "aria-label": t("Sort and filter the list") },
    el("div", { className: "filter-row list-filters" },
      el("div", { className: "field" }, el("label", { for: "list-sort", text: t("Sort by") }), sort),
      el("div", { className: "list-filter-slot" }),
      el("div", { className: "field field-button" }, el("button", { type: "submit", className: "button secondary", text: t("Apply") }))));
  const csv = el("a", { className: "button secondary small", download: "", text: t("Download CSV") });
  const print = el("button", { type: "button", className: "button secondary small", text: t("Print") });
  print.addEventListener("click", () => window.print());
  const status = el("p", { className: "notice", role: "status" });
  const summary = el("h2", { className: "results-heading", tabindex: "-1", id: `list-${name}-heading` });
  const results = el("div", {});
  const pager = el("div", {});
  const view = el("section", { className: `view view-staff-list list-${name}`, dataset: { view: `list-${name}` } },
    ...(spec.nav !== null ? [deskNav(spec.nav)] : []),
    el("div", { className: "page-head" }, heading, el("p", { className: "lede", text: spec.lede(state) }), context ?? ""),
    form,
    el("p", { className: "actions list-actions" }, ...(LISTS[name].csv ? [csv] : []), ...(spec.print ? [print] : [])),
    status,
    el("section", { className: "results", "aria-labelledby": summary.id }, summary, results, pager),
  );
  view.parts = { heading, form, sort, csv, status, summary, results, pager };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = { sort: sort.value };
    for (const field of form.querySelectorAll(".list-filter-slot select, .list-filter-slot input")) {
      changes[field.name] = field.type === "checkbox" ? (field.checked ? "true" : "") : field.value;
    }
    const current = view.currentState ?? state;
    ctx.navigate(staffListHash(name, current, changes, ctx.params));
  });
  form.addEventListener("change", () => form.requestSubmit());
  return view;
}

/** A line under the heading for a list narrowed to one member or book, with the way back to the whole list;
 * undefined when the page cannot be shown (the member does not exist). */
async function contextLine(ctx, name, state) {
  const narrowed = [];
  if (state.member) narrowed.push(el("a", { href: `#/members/${state.member}`, text: t("one member") }));
  if (state.book) {
    let title = t("book {id}", { id: state.book });
    try {
      title = (await getBook(state.book, { signal: ctx.signal })).title;
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted) return undefined;
    }
    narrowed.push(el("a", { href: `#/books/${state.book}`, text: title }));
  }
  if (!narrowed.length) return null;
  const all = staffListHash(name, state, { member: "", book: "" });
  return el("p", { className: "list-context" }, t("Only for "), ...narrowed.flatMap((n, i) => (i ? [", ", n] : [n])), " · ",
    el("a", { href: all, text: t("Show the whole list") }));
}

function drawControls({ ctx, name, spec, state, view, parts }) {
  view.currentState = state;
  parts.heading.textContent = spec.title(state);
  parts.sort.replaceChildren(...sortOptions(name).map(({ value, label }) => {
    const option = el("option", { value, text: label });
    option.selected = value === state.sort;
    return option;
  }));
  parts.form.querySelector(".list-filter-slot").replaceChildren(...(spec.filters?.(state) ?? []));
  const csv = staffListCsvUrl(name, state, ctx.params);
  if (csv) parts.csv.href = csv;
}

async function load(page, { retry = false, focus = false } = {}) {
  const { ctx, name, spec, state, parts } = page;
  showLoading(parts.results, t("Loading…"));
  try {
    const envelope = await FETCH[name](staffListParams(name, state, ctx.params), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = pageInfo(envelope);
    if (envelope.items.length) {
      parts.results.replaceChildren(table(page, envelope.items));
      doneLoading(parts.results);
    } else if (info.outOfRange) {
      showEmpty(parts.results, t("This page is past the end of the list."), "",
        el("a", { href: staffListHash(name, state, { page: 1 }, ctx.params), text: t("Go to the first page") }));
    } else {
      showEmpty(parts.results, spec.empty(state));
    }
    parts.summary.textContent = spec.count(envelope.total);
    renderPager(parts.pager, info, (n) => staffListHash(name, state, { page: n }, ctx.params));
    if (ctx.sameView) ctx.announce(parts.summary.textContent);
    if (focus || ((ctx.sameView || retry) && focusLost())) parts.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    parts.summary.textContent = t("Could not load the list");
    parts.pager.replaceChildren();
    showProblem(parts.results, error, () => load(page, { retry: true }));
  }
}

function table(page, items) {
  const { spec } = page;
  const headers = spec.columns.map(([header]) => header());
  const head = el("tr", {}, ...headers.map((text) => el("th", { scope: "col", text })),
    ...(spec.action ? [el("th", { scope: "col", text: t("Action") })] : []));
  const rows = items.map((item) => {
    const cells = spec.columns.map(([_header, cell], n) => {
      const value = cell(item);
      const node = n === 0 ? el("th", { scope: "row" }) : el("td", {});
      node.dataset.label = headers[n];
      node.append(value);
      return node;
    });
    if (spec.action) {
      const cell = el("td", { className: "row-action", dataset: { label: t("Action") } });
      if (!spec.action.when || spec.action.when(item)) {
        const button = el("button", { type: "button", className: `button small ${spec.action.danger ? "danger" : "secondary"}`,
          text: spec.action.label(item), "aria-label": spec.action.aria(item) });
        button.addEventListener("click", () => act(page, item, button));
        cell.append(button);
      }
      cells.push(cell);
    }
    return el("tr", {}, ...cells);
  });
  return el("div", { className: "table-scroll", role: "region", "aria-label": page.spec.title(page.state), tabindex: "0" },
    el("table", { className: "data-table stack-table" }, el("thead", {}, head), el("tbody", {}, ...rows)));
}

async function act(page, item, button) {
  const { parts } = page;
  parts.status.textContent = "";
  page.view.querySelector(".list-problem")?.remove();
  button.disabled = true;
  let message;
  try {
    message = await page.spec.action.run(page, item, button);
  } catch (error) {
    if (page.ctx.signal.aborted || error.status === 401 || isAbort(error)) return;
    button.disabled = false;
    const problem = inlineProblem(t("Could not do it"), error);
    problem.classList.add("list-problem");
    parts.status.after(problem);
    button.focus();
    return;
  }
  if (message === null) { // the confirmation was declined
    button.disabled = false;
    return;
  }
  parts.status.textContent = message;
  await load(page, { focus: true });
}

// ---- The rows' actions: each returns the message to show (null when the user backed out). ----

async function capture(_page, item) {
  const hold = await captureHold(item.barcode);
  return `${t("Pulled “{title}” ({barcode}).", { title: item.book_title, barcode: item.barcode })} ${holdShelfText({ name: hold.member_name, pickupBy: hold.pickup_by })}.`;
}

async function clear(_page, item) {
  const { hold, copy } = await clearHold(item.hold_id);
  const done = t("Cleared {name}’s hold on “{title}”.", { name: item.member_name, title: item.book_title });
  if (hold) return `${done} ${t("Copy {barcode} now waits for {next}: relabel it (pickup by {date}).", { barcode: copy.barcode, next: hold.member_name, date: formatDate(hold.pickup_by) })}`;
  return `${done} ${t("Put copy {barcode} back on its shelf: {shelf}.", { barcode: copy.barcode, shelf: copy.location || t("no shelf recorded") })}`;
}

async function cancel(page, item, button) {
  const ok = await confirmDialog(page.view, {
    title: t("Cancel this hold?"),
    text: t("{name}’s hold on “{title}” will be cancelled. They can place a new one, at the end of the queue.", { name: item.member_name, title: item.book_title })
      + (item.status === "ready" ? ` ${t("The copy on the hold shelf goes to the next in line.")}` : ""),
    confirmLabel: t("Cancel hold"),
    cancelLabel: t("Keep it"),
    opener: button,
  });
  if (!ok) return null;
  try {
    await cancelHold(item.id);
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  return t("Cancelled {name}’s hold on “{title}”.", { name: item.member_name, title: item.book_title });
}

async function restore(_page, item) {
  await restoreBook(item.id);
  return t("Restored “{title}” to the catalog. Its copies stay withdrawn: make them available on its page.", { title: item.title });
}

