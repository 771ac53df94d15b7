// #/stats?period=&from=&to=&group=&series=&top=&by=&months=&page= — staff: the library at a glance. Panels: right
// now; loans and returns over the period beside a year earlier; the most borrowed; the collection and how much of it
// is lent; copies not lent lately (weeding). Each chart is inline SVG drawn from the API's numbers with a table of
// the same numbers beside it (what screen readers read: the SVG itself is hidden from them) and a CSV download.
// Every word goes through t()/tn(), dates and numbers through Intl in the language in use. The markup is built
// here, with the view's words; the state is in the hash, so any view of it can be shared and reloaded.

import {
  getCurrentStats, getCirculationStats, getTopBorrowed, getCollectionStats, listWeedingCandidates, statsCsvUrl,
} from "../api.js";
import { el, showLoading, showProblem, showEmpty, isAbort, doneLoading } from "../dom.js";
import { formatDate, formatNumber, formatPercent, listText } from "../format.js";
import { t, tn, msg, currentLocale } from "../i18n.js";
import { pageInfo } from "../query.js";
import * as S from "../stats.js";
import { renderPager } from "./results.js";

const SVG = "http://www.w3.org/2000/svg";
const views = new WeakMap(); // view -> the state it shows

const PERIOD_LABELS = () => ({
  "30d": t("Last 30 days"), "12w": t("Last 12 weeks"), "12m": t("Last 12 months"), year: t("This year so far"),
  custom: t("Choose the days…"),
});
const GROUP_LABELS = () => ({ day: t("Day"), week: t("Week"), month: t("Month") });
const TOP_LABELS = () => ({ titles: t("Titles"), authors: t("Authors"), subjects: t("Subjects") });
// The table's caption per kind: whole sentences, since the kind's place and agreement differ by language.
const TOP_CAPTIONS = { titles: msg("Most borrowed titles"), authors: msg("Most borrowed authors"), subjects: msg("Most borrowed subjects") };
const BY_LABELS = () => ({ subject: t("Subject"), language: t("Language"), decade: t("Decade") });

function number(value) {
  return formatNumber(value, currentLocale());
}

function percentText(value) {
  return value === null ? "–" : formatPercent(value, currentLocale());
}

/** Draw the dashboard for ctx.query; when only part of the state changed, only those panels load again. */
export async function render(ctx) {
  const state = S.statsState(ctx.query);
  let view = ctx.sameView ? ctx.root.querySelector(':scope > [data-view="stats"]') : null;
  const before = view ? views.get(view) : null;
  if (!view) {
    view = mount(ctx);
    ctx.root.replaceChildren(view);
    ctx.root.removeAttribute("aria-busy");
  }
  views.set(view, state);
  const changed = (...keys) => !before || keys.some((key) => before[key] !== state[key]);
  const period = ["period", "from", "to", "group"];
  fillForm(view, state, { periodChanged: changed(...period) });
  ctx.ready();
  const loads = [];
  if (!before) loads.push(loadNow(ctx, view));
  if (changed(...period, "series")) loads.push(loadCirculation(ctx, view, state));
  if (changed(...period, "top")) loads.push(loadTop(ctx, view, state));
  if (changed("by", "lent")) loads.push(loadCollection(ctx, view, state));
  if (changed("months", "page")) loads.push(loadWeeding(ctx, view, state));
  await Promise.all(loads);
  if (before && changed(...period) && !ctx.signal.aborted) ctx.announce(view.parts.periodText.textContent);
}

// ---- The page and its controls ----

function mount(ctx) {
  const parts = {};
  const periodSelect = el("select", { id: "stats-period", name: "period" },
    ...Object.entries(PERIOD_LABELS()).map(([value, label]) => new Option(label, value)));
  const groupSelect = el("select", { id: "stats-group", name: "group", "aria-describedby": "stats-group-problem" },
    ...Object.entries(GROUP_LABELS()).map(([value, label]) => new Option(label, value)));
  const dateField = (name, label) => el("div", { className: "field", dataset: { custom: "" } },
    el("label", { for: `stats-${name}`, text: label }),
    el("input", { id: `stats-${name}`, name, type: "date", min: "2000-01-01", max: "2100-12-31",
      "aria-describedby": `stats-${name}-problem` }),
    el("p", { className: "field-error", id: `stats-${name}-problem`, hidden: true }));
  parts.form = el("form", { className: "finder stats-period", "aria-label": t("Choose the period"), novalidate: true },
    el("div", { className: "filter-row" },
      el("div", { className: "field" }, el("label", { for: "stats-period", text: t("Period") }), periodSelect),
      dateField("from", t("From")),
      dateField("to", t("To")),
      el("div", { className: "field", dataset: { custom: "" } }, el("label", { for: "stats-group", text: t("Count by") }),
        groupSelect, el("p", { className: "field-error", id: "stats-group-problem", hidden: true })),
      el("div", { className: "field field-button", dataset: { custom: "" } },
        el("button", { type: "submit", className: "button", text: t("Show") }))));
  parts.periodText = el("p", { className: "stats-period-text" });

  const view = el("section", { className: "view view-stats", dataset: { view: "stats" } },
    el("div", { className: "page-head" },
      el("h1", { tabindex: "-1", text: t("Statistics") }),
      el("p", { className: "lede", text: t("The library at a glance. Counts only: no one’s name is on any of them.") })),
    parts.form, parts.periodText);

  parts.panels = {};
  const panel = (key, title, controls = []) => {
    const body = el("div", { className: "panel-body" });
    const csv = el("a", { className: "button secondary small", download: "" }, t("Download CSV"),
      el("span", { className: "visually-hidden", text: ` (${title})` }));
    const heading = el("h2", { id: `stats-${key}-heading`, tabindex: "-1", text: title });
    const section = el("section", { className: "panel stats-panel", "aria-labelledby": heading.id },
      el("div", { className: "panel-head" }, heading, el("div", { className: "panel-tools" }, ...controls, csv)), body);
    parts.panels[key] = { section, body, csv, heading };
    view.append(section);
  };
  const choice = (name, labels, legend) => el("fieldset", { className: "segment-choice" },
    el("legend", { className: "visually-hidden", text: legend }),
    el("div", { className: "segmented" }, ...Object.entries(labels).map(([value, label]) => el("span", { className: "segment" },
      el("input", { type: "radio", id: `stats-${name}-${value}`, name, value }),
      el("label", { for: `stats-${name}-${value}`, text: label })))));
  const seriesLabels = { loans: t("Loans"), returns: t("Returns") };
  const monthsSelect = el("select", { id: "stats-months", name: "months" },
    ...S.WEEDING_MONTHS.map((months) => new Option(tn(months, "{count} month", "{count} months"), String(months))));
  const lentSelect = el("select", { id: "stats-lent", name: "lent" },
    ...S.LENT_MONTHS.map((months) => new Option(tn(months, "{count} month", "{count} months"), String(months))));
  panel("now", t("Right now"));
  panel("circulation", t("Loans and returns"), [choice("series", seriesLabels, t("Chart of"))]);
  panel("top", t("Most borrowed"), [choice("top", TOP_LABELS(), t("Most borrowed"))]);
  panel("collection", t("The collection and how much of it is lent"), [choice("by", BY_LABELS(), t("Group by")),
    el("div", { className: "field inline-field" }, el("label", { for: "stats-lent", text: t("Lent in the last") }), lentSelect)]);
  panel("weeding", t("Not lent lately"), [el("div", { className: "field inline-field" },
    el("label", { for: "stats-months", text: t("Not lent in") }), monthsSelect)]);
  parts.panels.weeding.pager = el("div");
  parts.panels.weeding.section.append(parts.panels.weeding.pager);
  view.parts = parts;

  const go = (changes) => ctx.navigate(S.statsHash(views.get(view), changes));
  periodSelect.addEventListener("change", () => {
    const period = periodSelect.value;
    if (period !== "custom") {
      go({ period });
      return;
    }
    const range = S.periodRange(views.get(view)); // start from what is shown
    for (const [name, value] of Object.entries(range)) parts.form.elements[name].value = value;
    showCustom(view, true);
    parts.form.elements.from.focus();
  });
  parts.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = { from: parts.form.elements.from.value, to: parts.form.elements.to.value, group: groupSelect.value };
    const problem = S.customPeriodProblem(data);
    showFieldProblem(view, problem);
    if (problem) {
      parts.form.elements[problem.field].focus();
      return;
    }
    go({ period: "custom", ...data });
  });
  view.addEventListener("change", (event) => {
    const { name, value } = event.target;
    if (["series", "top", "by"].includes(name)) go({ [name]: value });
  });
  monthsSelect.addEventListener("change", () => go({ months: Number(monthsSelect.value), page: 1 }));
  lentSelect.addEventListener("change", () => go({ lent: Number(lentSelect.value) }));
  return view;
}

function showCustom(view, on) {
  for (const node of view.parts.form.querySelectorAll("[data-custom]")) node.hidden = !on;
}

/** Show a custom period's problem next to its field (or clear them all with null). */
function showFieldProblem(view, problem) {
  for (const name of ["from", "to", "group"]) {
    const field = view.parts.form.elements[name];
    const message = view.querySelector(`#stats-${name}-problem`);
    const mine = problem?.field === name;
    message.textContent = mine ? problem.message : "";  // stats.js translated it
    message.hidden = !mine;
    if (mine) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }
}

function fillForm(view, state, { periodChanged }) {
  const { form } = view.parts;
  const range = S.periodRange(state);
  form.elements.period.value = state.period;
  form.elements.from.value = range.from;
  form.elements.to.value = range.to;
  form.elements.group.value = range.group;
  showCustom(view, state.period === "custom");
  showFieldProblem(view, null);
  for (const name of ["series", "top", "by"]) {
    const input = view.querySelector(`#stats-${name}-${state[name]}`);
    if (input) input.checked = true;
  }
  view.querySelector("#stats-months").value = String(state.months);
  view.querySelector("#stats-lent").value = String(state.lent);
  const params = S.statsApiParams(state);
  const { panels } = view.parts;
  panels.now.csv.href = statsCsvUrl("current");
  panels.circulation.csv.href = statsCsvUrl("circulation", params.circulation);
  panels.top.csv.href = statsCsvUrl("top", { ...params.top, limit: 100 });
  panels.collection.csv.href = statsCsvUrl("collection", params.collection);
  panels.weeding.csv.href = statsCsvUrl("weeding", { months: state.months });
  if (periodChanged) { // the loans panel says exactly which days it compares with, once it has them
    view.parts.periodText.textContent = t("{period}, compared with the same days a year earlier.", {
      period: S.rangeText(range.from, range.to, currentLocale(), { day: "numeric", month: "long", year: "numeric" }) });
  }
}

/** Load one panel's numbers and draw them; a failure shows the problem with a retry in that panel only. */
async function loadPanel(ctx, view, key, load, draw) {
  const { body } = view.parts.panels[key];
  showLoading(body, t("Loading…"));
  try {
    const data = await load({ signal: ctx.signal });
    if (ctx.signal.aborted) return;
    draw(body, data);
    doneLoading(body);
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
    showProblem(body, error, () => loadPanel(ctx, view, key, load, draw));
  }
}

// ---- Right now ----

function loadNow(ctx, view) {
  return loadPanel(ctx, view, "now", (opts) => getCurrentStats(opts), (body, now) => {
    const tile = (label, value, detail = "") => el("div", { className: "stat-tile" },
      el("dt", { text: label }), el("dd", {}, el("span", { className: "stat-value", text: number(value) }),
        detail ? el("span", { className: "stat-detail", text: detail }) : null));
    body.replaceChildren(el("dl", { className: "stat-tiles" },
      tile(t("Active members"), now.active_members,
        t("of {count} with a card; borrowed in the last 12 months", { count: number(now.members) })),
      tile(t("On loan"), now.on_loan, t("of {count} copies", { count: number(now.copies) })),
      tile(t("Overdue"), now.overdue, now.on_loan ? t("{share} of the loans", { share: percentText(S.share(now.overdue, now.on_loan)) }) : ""),
      tile(t("Holds waiting"), now.holds_waiting, t("for a copy to come back")),
      tile(t("On the hold shelf"), now.holds_ready, t("ready to be picked up")),
      tile(t("On the shelves"), now.copies_available, t("copies available now"))));
  });
}

// ---- Loans and returns over time ----

function loadCirculation(ctx, view, state) {
  const params = S.statsApiParams(state).circulation;
  return loadPanel(ctx, view, "circulation", (opts) => getCirculationStats(params, opts), (body, data) => {
    const series = state.series;
    const key = series;
    const previousKey = `previous_${series}`;
    const locale = currentLocale();
    const withYear = data.from.slice(0, 4) !== data.to.slice(0, 4);
    const label = (item, short = false) => S.bucketLabel(item, data.group, locale, { short, year: withYear });
    const previousPeriod = S.rangeText(data.previous_from, data.previous_to, locale);
    const total = data.totals[key];
    const before = data.totals[previousKey];
    const delta = S.change(total, before);
    const what = series === "loans" ? tn(total, "{count} loan", "{count} loans") : tn(total, "{count} return", "{count} returns");
    const summary = delta === null
      ? t("{what}; none a year earlier ({previous}).", { what, previous: previousPeriod })
      : t("{what}, {change} on a year earlier ({previous}: {count}).", {
        what, change: signedPercent(delta), previous: previousPeriod, count: number(before) });
    view.parts.periodText.textContent = t("{period}, compared with {previous}.", {
      period: S.rangeText(data.from, data.to, locale, { day: "numeric", month: "long", year: "numeric" }),
      previous: S.rangeText(data.previous_from, data.previous_to, locale, { day: "numeric", month: "long", year: "numeric" }) });
    const chart = el("div", { className: "chart-box" });
    const legend = el("ul", { className: "chart-legend", "aria-hidden": "true" },
      el("li", {}, el("span", { className: "key key-bar" }), series === "loans" ? t("Loans") : t("Returns")),
      el("li", {}, el("span", { className: "key key-line" }), t("A year earlier")));
    const headers = [t("Period"), series === "loans" ? t("Loans") : t("Returns"), t("A year earlier")];
    const rows = data.items.map((item) => [label(item), number(item[key]), number(item[previousKey])]);
    body.replaceChildren(el("div", { className: "chart-with-table" },
      el("figure", { className: "chart" }, legend, chart, el("figcaption", { className: "chart-summary", text: summary })),
      dataTable(t("{series} by {group}", { series: headers[1], group: GROUP_LABELS()[data.group].toLowerCase() }),
        headers, rows, { numeric: [1, 2] })));
    // Drawn once in place, at the width it is shown at, so that its text is never squeezed.
    chart.append(columnChartSvg(data.items.map((i) => i[key]), data.items.map((i) => i[previousKey]),
      data.items.map((i) => label(i, true)), chart.clientWidth));
  });
}

function signedPercent(delta) {
  const text = formatPercent(Math.abs(delta), currentLocale());
  return delta > 0 ? t("up {change}", { change: text }) : delta < 0 ? t("down {change}", { change: text }) : t("the same");
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/**
 * Columns for values, a line for the year earlier, a y axis with ticks and every k-th label on the x axis, drawn
 * at the width it is shown at (so its text is not stretched; a later resize scales it evenly).
 */
function columnChartSvg(values, previous, labels, shownWidth) {
  const width = Math.max(280, Math.round(shownWidth || 720));
  const height = width < 500 ? 200 : 260;
  const plot = { left: 44, right: 8, top: 12, bottom: 30 };
  const inner = { width: width - plot.left - plot.right, height: height - plot.top - plot.bottom };
  const geometry = S.columnChart(values, previous, inner);
  const every = S.labelEvery(labels.length, Math.floor(inner.width / 72));
  const node = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "chart-svg", "aria-hidden": "true",
    focusable: "false" });
  const plotArea = svg("g", { transform: `translate(${plot.left} ${plot.top})` });
  for (const tick of geometry.tickY) {
    plotArea.append(svg("line", { x1: 0, x2: inner.width, y1: tick.y, y2: tick.y, class: "chart-grid" }),
      svg("text", { x: -6, y: tick.y + 4, "text-anchor": "end", class: "chart-tick" }, number(tick.value)));
  }
  for (const bar of geometry.bars) {
    plotArea.append(svg("rect", { x: bar.x, y: bar.y, width: bar.width, height: bar.height, class: "chart-bar" }));
  }
  if (geometry.points.length) {
    const path = geometry.points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(" ");
    plotArea.append(svg("path", { d: path, class: "chart-line" }));
    if (geometry.points.length <= 40) {
      for (const p of geometry.points) plotArea.append(svg("circle", { cx: p.x, cy: p.y, r: 3, class: "chart-dot" }));
    }
  }
  labels.forEach((text, i) => {
    if (i % every) return;
    const x = geometry.bars[i].x + geometry.bars[i].width / 2;
    plotArea.append(svg("text", { x, y: inner.height + 20, "text-anchor": "middle", class: "chart-tick" }, text));
  });
  node.append(plotArea);
  return node;
}

/** A captioned table in a scrolling region (a keyboard can scroll it: it takes focus). */
function dataTable(caption, headers, rows, { numeric = [], rowHeader = 0 } = {}) {
  const captionId = `table-${Math.random().toString(36).slice(2, 9)}`;
  const cellClass = (i) => (numeric.includes(i) ? "num" : null);
  return el("div", { className: "table-scroll stats-table", role: "region", "aria-labelledby": captionId, tabindex: "0" },
    el("table", { className: "data-table" },
      el("caption", { id: captionId, text: caption }),
      el("thead", {}, el("tr", {}, ...headers.map((text, i) => el("th", { scope: "col", className: cellClass(i), text })))),
      el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((cell, i) => {
        const content = cell instanceof Node ? cell : String(cell);
        return i === rowHeader ? el("th", { scope: "row", className: cellClass(i) }, content)
          : el("td", { className: cellClass(i) }, content);
      }))))));
}

/**
 * Horizontal bars, one row each: a name, a bar (a small SVG stretched to the row's width: only rectangles, so
 * nothing is distorted) and the number. A row's `part` fills its bar darker (e.g. copies lent of all copies).
 * Hidden from screen readers: the table beside it has the same numbers.
 */
function barList(rows) {
  const lengths = S.barLengths(rows.map((row) => row.total), 100);
  return el("ol", { className: "bar-list", "aria-hidden": "true" }, ...rows.map((row, i) => {
    const bar = svg("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none", class: "bar-svg", focusable: "false" },
      svg("rect", { x: 0, y: 0, width: Math.max(0.5, lengths[i]), height: 10, class: row.part === row.total ? "chart-bar" : "chart-bar-total" }));
    if (row.part !== row.total && row.total) {
      bar.append(svg("rect", { x: 0, y: 0, width: (lengths[i] * row.part) / row.total, height: 10, class: "chart-bar" }));
    }
    return el("li", { className: "bar-row" }, el("span", { className: "bar-name", text: row.name }), bar,
      el("span", { className: "bar-value", text: row.value }));
  }));
}

// ---- The most borrowed ----

function loadTop(ctx, view, state) {
  const params = S.statsApiParams(state).top;
  return loadPanel(ctx, view, "top", (opts) => getTopBorrowed(params, opts), (body, data) => {
    if (!data.items.length) {
      showEmpty(body, t("Nothing was lent in this period."), t("Choose a longer period to see what was borrowed most."));
      return;
    }
    const href = (item) => ({ titles: `#/books/${item.id}`, authors: `#/authors/${item.id}`,
      subjects: `#/books?subject=${encodeURIComponent(item.name)}` })[data.kind];
    const name = (item) => {
      const link = el("a", { href: href(item), text: item.name });
      const authors = listText(item.authors ?? [], currentLocale());
      return authors ? el("span", {}, link, el("span", { className: "muted", text: ` · ${authors}` })) : link;
    };
    const chart = barList(data.items.map((item) => ({ name: item.name, total: item.loans, part: item.loans,
      value: number(item.loans) })));
    const headers = [t("Rank"), { titles: t("Title"), authors: t("Author"), subjects: t("Subject") }[data.kind], t("Loans")];
    const rows = data.items.map((item, i) => [number(i + 1), name(item), number(item.loans)]);
    body.replaceChildren(el("div", { className: "chart-with-table" },
      el("figure", { className: "chart" }, chart, el("figcaption", { className: "chart-summary",
        text: t("The {count} most borrowed in {period}.", { count: number(data.items.length),
          period: S.rangeText(data.from, data.to, currentLocale()) }) })),
      dataTable(t(TOP_CAPTIONS[data.kind]), headers, rows, // i18n: TOP_CAPTIONS
        { numeric: [0, 2], rowHeader: 1 })));
  });
}

// ---- The collection ----

const CHART_GROUPS = 12;

function loadCollection(ctx, view, state) {
  const params = S.statsApiParams(state).collection;
  return loadPanel(ctx, view, "collection", (opts) => getCollectionStats(params, opts), (body, data) => {
    if (!data.items.length) {
      showEmpty(body, t("The collection has no copies yet."), t("Add copies to books to see them counted here."));
      return;
    }
    const locale = currentLocale();
    const groupName = (group) => {
      if (group === null) return { subject: t("No subject"), language: t("No language"), decade: t("No year") }[data.by];
      if (data.by === "language") return languageName(group, locale);
      if (data.by === "decade") return t("{decade}s", { decade: group });
      return group;
    };
    const span = tn(data.months, "{count} month", "{count} months");
    const since = formatDate(data.since);  // whole months: the 1st of the month `months` months back
    const shown = data.items.slice(0, CHART_GROUPS);
    const chart = barList(shown.map((item) => ({ name: groupName(item.group), total: item.copies, part: item.lent,
      value: t("{lent} of {copies}", { lent: number(item.lent), copies: number(item.copies) }) })));
    const legend = el("ul", { className: "chart-legend", "aria-hidden": "true" },
      el("li", {}, el("span", { className: "key key-bar" }), t("Lent since {date}", { date: since })),
      el("li", {}, el("span", { className: "key key-total" }), t("All copies")));
    const headers = [BY_LABELS()[data.by], t("Copies"), t("On loan now"), t("Lent since {date}", { date: since }),
      t("Share lent")];
    const rows = data.items.map((item) => [groupName(item.group), number(item.copies), number(item.on_loan),
      number(item.lent), percentText(S.share(item.lent, item.copies))]);
    const more = data.items.length > CHART_GROUPS
      ? t("The chart shows the {shown} largest of {count}; the table has them all.", { shown: number(CHART_GROUPS), count: number(data.items.length) })
      : "";
    body.replaceChildren(el("div", { className: "chart-with-table" },
      el("figure", { className: "chart" }, legend, chart, el("figcaption", { className: "chart-summary",
        text: `${t("Copies in the collection by {by}, and how many of them were lent since {date}: in the {months} before this one and in this month so far.", {
          by: BY_LABELS()[data.by].toLowerCase(), date: since, months: span })} ${more}`.trim() })),
      dataTable(t("The collection by {by}", { by: BY_LABELS()[data.by].toLowerCase() }), headers, rows,
        { numeric: [1, 2, 3, 4] })));
  });
}

function languageName(code, locale) {
  try {
    return new Intl.DisplayNames([locale], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}

// ---- Weeding candidates ----

function loadWeeding(ctx, view, state) {
  const params = S.statsApiParams(state).weeding;
  return loadPanel(ctx, view, "weeding", (opts) => listWeedingCandidates(params, opts), (body, page) => {
    const info = pageInfo(page);
    const { pager } = view.parts.panels.weeding;
    renderPager(pager, info, (n) => S.statsHash(views.get(view), { page: n }));
    const intro = t("Copies on the shelf, in the library for longer than {months} and not lent since: never lent first, then the longest idle.",
      { months: tn(state.months, "{count} month", "{count} months") });
    if (!page.items.length) {
      showEmpty(body, info.outOfRange ? t("This page is past the end of the list.") : t("No copy has been idle that long."),
        info.outOfRange ? "" : intro);
      return;
    }
    const locale = currentLocale();
    const when = (iso) => (iso ? S.dayText(iso.slice(0, 10), locale) : t("Never"));
    const headers = [t("Title"), t("Barcode"), t("Where"), t("Added"), t("Last lent"), t("Loans ever")];
    const rows = page.items.map((item) => [el("a", { href: `#/books/${item.book_id}`, text: item.title }),
      el("span", { className: "mono nowrap", text: item.barcode }), [item.location, item.call_number].filter(Boolean).join(" · ") || "–",
      when(item.acquired_at), when(item.last_loaned_at), number(item.loans)]);
    body.replaceChildren(
      el("p", { className: "hint-text", text: `${intro} ${tn(info.total, "{count} copy.", "{count} copies.")}` }),
      dataTable(t("Copies not lent in {months}", { months: tn(state.months, "{count} month", "{count} months") }),
        headers, rows, { numeric: [5] }));
  });
}
