// #/desk/labels?kind=barcode|spine|card&book=&added=&member=&q=&sheet=&skip= — print labels: choose what to print,
// which copies (a book's, or those added on a day; today by default) or which members, untick any you do not
// want, choose the label sheet and how many of its labels are used up, and open the PDF to print at actual size.

import { findCopies, getBook, getMember, listMembers, listLabelSheets } from "../api.js";
import { el, showLoading, showProblem, showEmpty, isAbort, doneLoading } from "../dom.js";
import { labelsState, labelsHash, sheetsFor, chosenSheet, labelsPdfUrl, sheetSummary, utcDay } from "../labels.js";
import { copyStatusLabel } from "../circulation.js";
import { t } from "../i18n.js";
import { deskNav } from "./desknav.js";

let sheetsCache = null;

const KIND_LABELS = () => ({ barcode: t("Barcode labels for copies"), spine: t("Spine labels for copies"), card: t("Library cards for members") });

export async function render(ctx) {
  const state = labelsState(ctx.query);
  const heading = el("h1", { tabindex: "-1", text: t("Labels and library cards") });
  const view = el("section", { className: "view view-labels", dataset: { view: "labels" } },
    deskNav("labels"),
    el("div", { className: "page-head" }, heading,
      el("p", { className: "lede", text: t("Choose what to print and the label sheet you have; open the PDF and print it at actual size (100 %, not “fit to page”).") })));
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  const body = el("div", {});
  view.append(body);
  showLoading(body, t("Loading…"));
  ctx.ready();
  try {
    sheetsCache ??= (await listLabelSheets({ signal: ctx.signal })).items;
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    showProblem(body, error, () => render(ctx));
    return;
  }
  if (ctx.signal.aborted) return;
  const page = { ctx, state, body, chosen: new Set(), items: [] };
  body.replaceChildren(kindChoice(page), sheetChoice(page), el("div", { className: "labels-output" }), el("div", { className: "labels-source" }));
  doneLoading(body);
  await loadItems(page);
}

function kindChoice({ ctx, state }) {
  const radios = Object.entries(KIND_LABELS()).map(([kind, label]) => {
    const id = `labels-kind-${kind}`;
    const input = el("input", { type: "radio", id, name: "kind", value: kind });
    input.checked = kind === state.kind;
    input.addEventListener("change", () => ctx.navigate(labelsHash(state, { kind })));
    return el("div", { className: "check" }, input, el("label", { for: id, text: label }));
  });
  return el("fieldset", { className: "panel labels-kind" }, el("legend", { text: t("What to print") }), ...radios);
}

function sheetChoice(page) {
  const { ctx, state } = page;
  const fitting = sheetsFor(state.kind, sheetsCache);
  const sheet = chosenSheet(state, sheetsCache);
  const select = el("select", { id: "labels-sheet", name: "sheet" }, ...fitting.map((s) => {
    const option = el("option", { value: s.name, text: s.description });
    option.selected = s.name === sheet?.name;
    return option;
  }));
  select.addEventListener("change", () => ctx.navigate(labelsHash(state, { sheet: select.value })));
  const skip = el("input", { id: "labels-skip", name: "skip", type: "number", min: "0", max: String((sheet?.labels_per_sheet ?? 1) - 1),
    value: String(state.skip), inputmode: "numeric", "aria-describedby": "labels-skip-hint", className: "narrow" });
  skip.addEventListener("change", () => {
    const value = Math.max(0, Math.min(Number(skip.value) || 0, (sheet?.labels_per_sheet ?? 1) - 1));
    ctx.navigate(labelsHash(state, { skip: value }));
  });
  return el("div", { className: "panel labels-sheet" },
    el("div", { className: "field" }, el("label", { for: "labels-sheet", text: t("Label sheet") }), select),
    el("div", { className: "field" }, el("label", { for: "labels-skip", text: t("Labels already used on the first sheet") }),
      el("p", { className: "hint", id: "labels-skip-hint", text: t("They are left blank, so a partly used sheet can go through the printer again.") }), skip));
}

// ---- Which copies or members ----

async function loadItems(page) {
  const { ctx, state, body } = page;
  const source = body.querySelector(".labels-source");
  showLoading(source, t("Loading…"));
  try {
    if (state.kind === "card") await loadMembers(page, source);
    else await loadCopies(page, source);
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    showProblem(source, error, () => loadItems(page));
    return;
  }
  if (ctx.signal.aborted) return;
  drawOutput(page);
}

async function loadCopies(page, source) {
  const { ctx, state } = page;
  const day = state.added || utcDay();
  let intro;
  let params;
  if (state.book) {
    const book = await getBook(state.book, { signal: ctx.signal }).catch((error) => {
      if (isAbort(error)) throw error;
      return { title: t("book {id}", { id: state.book }) };
    });
    params = { book_id: state.book, per_page: 100 };
    intro = el("p", {}, t("Copies of "), el("a", { href: `#/books/${state.book}`, text: book.title }), ". ",
      el("a", { href: labelsHash(state, { book: "" }), text: t("Choose copies by the day they were added instead") }));
  } else {
    params = { added_on: day, per_page: 100 };
    const date = el("input", { id: "labels-added", name: "added", type: "date", value: day, className: "narrow" });
    date.addEventListener("change", () => { if (date.value) ctx.navigate(labelsHash(state, { added: date.value })); });
    intro = el("div", { className: "field" }, el("label", { for: "labels-added", text: t("Copies added on") }), date);
  }
  const found = await findCopies(params, { signal: ctx.signal });
  const copies = found.items;
  page.items = copies;
  page.chosen = new Set(copies.map((c) => c.id));
  const list = copies.length
    ? choiceTable(page, copies, [t("Barcode"), t("Title"), t("Call number"), t("Status")],
      (c) => [el("span", { className: "mono", text: c.barcode }), c.book_title ?? "", c.call_number ?? "—", copyStatusLabel(c.status)],
      (c) => t("Print a label for copy {barcode}", { barcode: c.barcode }))
    : emptyNode(state.book ? t("This book has no copies.") : t("No copies were added on this day."));
  const more = found.total > copies.length
    ? el("p", { className: "hint-text", text: t("The first {n} of {total} copies are shown; print them, then untick those printed… or choose a book.", { n: copies.length, total: found.total }) })
    : "";
  source.replaceChildren(el("fieldset", { className: "panel" }, el("legend", { text: t("Which copies") }), intro, more, list));
  doneLoading(source);
}

async function loadMembers(page, source) {
  const { ctx, state } = page;
  const members = [];
  if (state.member) {
    members.push(await getMember(state.member, { signal: ctx.signal }));
  }
  if (state.q) {
    for (const m of (await listMembers({ q: state.q, per_page: 50 }, { signal: ctx.signal })).items) {
      if (!members.some((had) => had.id === m.id)) members.push(m);
    }
  }
  page.items = members;
  page.chosen = new Set(members.map((m) => m.id));
  const search = el("input", { id: "labels-q", name: "q", type: "search", value: state.q, autocomplete: "off", maxlength: "200" });
  const form = el("form", { role: "search", "aria-label": t("Find members") },
    el("div", { className: "field" }, el("label", { for: "labels-q", text: t("Find members by name or card number") }),
      el("div", { className: "input-group" }, search, el("button", { type: "submit", className: "button secondary", text: t("Find") }))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.navigate(labelsHash(state, { q: search.value.trim() }));
  });
  const list = members.length
    ? choiceTable(page, members, [t("Name"), t("Card number")], (m) => [m.name, el("span", { className: "mono", text: m.card_number })],
      (m) => t("Print a card for {name}", { name: m.name }))
    : emptyNode(state.q ? t("Nobody matches this search.") : t("Find the members whose cards you want to print."));
  source.replaceChildren(el("fieldset", { className: "panel" }, el("legend", { text: t("Which members") }), form, list));
  doneLoading(source);
}

function emptyNode(text) {
  const holder = el("div", {});
  showEmpty(holder, text);
  return holder;
}

/** A table of items with a checkbox each (all ticked), and Tick all / Untick all. */
function choiceTable(page, items, headers, cells, checkLabel) {
  const boxes = [];
  const rows = items.map((item) => {
    const box = el("input", { type: "checkbox", "aria-label": checkLabel(item) });
    box.checked = true;
    box.addEventListener("change", () => {
      if (box.checked) page.chosen.add(item.id);
      else page.chosen.delete(item.id);
      drawOutput(page);
    });
    boxes.push(box);
    const values = cells(item);
    return el("tr", {}, el("td", { className: "pick", dataset: { label: t("Print") } }, box),
      ...values.map((value, n) => el(n === 0 ? "th" : "td", { scope: n === 0 ? "row" : null, dataset: { label: headers[n] } }, value)));
  });
  const all = (checked) => () => {
    for (const [n, box] of boxes.entries()) {
      box.checked = checked;
      if (checked) page.chosen.add(items[n].id);
      else page.chosen.delete(items[n].id);
    }
    drawOutput(page);
  };
  const tick = el("button", { type: "button", className: "button secondary small", text: t("Tick all") });
  const untick = el("button", { type: "button", className: "button secondary small", text: t("Untick all") });
  tick.addEventListener("click", all(true));
  untick.addEventListener("click", all(false));
  return el("div", {}, el("p", { className: "actions" }, tick, untick),
    el("div", { className: "table-scroll", role: "region", "aria-label": t("Chosen for printing"), tabindex: "0" },
      el("table", { className: "data-table stack-table" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("Print") }), ...headers.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...rows))));
}

// ---- The PDF ----

function drawOutput(page) {
  const { state, body } = page;
  const output = body.querySelector(".labels-output");
  const sheet = chosenSheet(state, sheetsCache);
  const ids = page.items.filter((item) => page.chosen.has(item.id)).map((item) => item.id);
  const url = labelsPdfUrl(state, sheet, ids);
  const summary = el("p", { className: "labels-summary", role: "status" },
    url ? sheetSummary(state.kind, ids.length, state.skip, sheet.labels_per_sheet) : t("Tick at least one to print."));
  const action = url
    ? el("a", { className: "button", href: url, target: "_blank", rel: "noopener", text: t("Open the PDF to print") })
    : el("button", { type: "button", className: "button", disabled: true, text: t("Open the PDF to print") });
  output.replaceChildren(el("div", { className: "panel labels-go" }, summary, el("p", { className: "actions" }, action)));
}
