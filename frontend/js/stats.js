// The statistics dashboard as pure functions: its URL state (the period, the grouping, which list each panel
// shows), the API parameters of each panel, the words for a period and a bucket, and the geometry of the charts
// (scales, ticks, bars). No DOM here, so node --test covers it; views/stats.js draws from it.

import { buildHash } from "./router.js";
import { toPositiveInt } from "./query.js";
import { t } from "./i18n.js";

export const STATS_PATH = "/stats";
export const GROUPS = Object.freeze(["day", "week", "month"]);
export const TOP_KINDS = Object.freeze(["titles", "authors", "subjects"]);
export const COLLECTION_BY = Object.freeze(["subject", "language", "decade"]);
export const SERIES = Object.freeze(["loans", "returns"]);
export const WEEDING_MONTHS = Object.freeze([6, 12, 24, 36, 60]);
export const LENT_MONTHS = Object.freeze([3, 6, 12, 24, 36]);
export const WEEDING_PER_PAGE = 20;
export const MAX_BUCKETS = 400; // the API's limit per chart
export const MAX_DAYS = 3660;

/** The periods offered; "custom" uses from, to and group from the URL. */
export const PRESETS = Object.freeze({
  "30d": { days: 30, group: "day" },
  "12w": { weeks: 12, group: "week" },
  "12m": { months: 12, group: "month" },
  year: { year: true, group: "month" },
  custom: null,
});

export const STATS_DEFAULTS = Object.freeze({
  period: "30d", from: "", to: "", group: "day", series: "loans", top: "titles", by: "subject", lent: 12, months: 24,
  page: 1,
});

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "2026-11-30" -> a Date at UTC midnight, or null when it is not a real day. */
export function parseDay(text) {
  if (typeof text !== "string" || !ISO_DAY.test(text)) return null;
  const date = new Date(`${text}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text ? null : date;
}

/** A Date -> "2026-11-30" (its UTC day). */
export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function addDays(date, days) {
  return new Date(date.getTime() + days * 86_400_000);
}

/** Today's UTC day as a Date at midnight (the API counts whole UTC days). */
export function utcToday(now = new Date()) {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** Normalise the parsed hash query into the dashboard state; anything unknown falls back to the default. */
export function statsState(query = {}) {
  const pick = (value, allowed, fallback) => (allowed.includes(value) ? value : fallback);
  const period = query.period in PRESETS ? query.period : STATS_DEFAULTS.period;
  const state = {
    period,
    from: "",
    to: "",
    group: STATS_DEFAULTS.group,
    series: pick(query.series, SERIES, STATS_DEFAULTS.series),
    top: pick(query.top, TOP_KINDS, STATS_DEFAULTS.top),
    by: pick(query.by, COLLECTION_BY, STATS_DEFAULTS.by),
    lent: LENT_MONTHS.includes(Number(query.lent)) ? Number(query.lent) : STATS_DEFAULTS.lent,
    months: WEEDING_MONTHS.includes(Number(query.months)) ? Number(query.months) : STATS_DEFAULTS.months,
    page: toPositiveInt(query.page, 1, 100_000),
  };
  if (period === "custom") {
    const from = parseDay(query.from);
    const to = parseDay(query.to);
    if (from && to && from <= to) {
      state.from = query.from;
      state.to = query.to;
      state.group = pick(query.group, GROUPS, "day");
    } else {
      state.period = STATS_DEFAULTS.period; // a broken custom period shows the default rather than an error
    }
  }
  return state;
}

/** { from, to, group } of the state's period, as the API takes them ("YYYY-MM-DD"); today is included. */
export function periodRange(state, today = utcToday()) {
  const preset = PRESETS[state.period];
  if (!preset) return { from: state.from, to: state.to, group: state.group };
  let from;
  if (preset.days) from = addDays(today, 1 - preset.days);
  else if (preset.weeks) from = addDays(today, -((today.getUTCDay() + 6) % 7) - 7 * (preset.weeks - 1)); // Mondays
  else if (preset.months) from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - preset.months + 1, 1));
  else from = new Date(Date.UTC(today.getUTCFullYear(), 0, 1));
  return { from: isoDay(from), to: isoDay(today), group: preset.group };
}

/** How many buckets a period cut by group makes (the API refuses more than MAX_BUCKETS). */
export function bucketCount(from, to, group) {
  const start = parseDay(from);
  const end = parseDay(to);
  if (!start || !end || end < start) return 0;
  if (group === "day") return Math.round((end - start) / 86_400_000) + 1;
  if (group === "week") {
    const monday = (d) => addDays(d, -((d.getUTCDay() + 6) % 7));
    return Math.round((monday(end) - monday(start)) / (7 * 86_400_000)) + 1;
  }
  return (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + end.getUTCMonth() - start.getUTCMonth() + 1;
}

/**
 * What is wrong with a custom period, as { field, message } for the form, or null: both days needed, the end not
 * before the start, at most about ten years, and not more buckets than a chart takes.
 */
export function customPeriodProblem({ from, to, group }) {
  const start = parseDay(from);
  const end = parseDay(to);
  if (!start) return { field: "from", message: t("Enter the first day.") };
  if (!end) return { field: "to", message: t("Enter the last day.") };
  if (end < start) return { field: "to", message: t("The last day is before the first.") };
  if (Math.round((end - start) / 86_400_000) + 1 > MAX_DAYS) return { field: "from", message: t("Choose at most ten years.") };
  if (bucketCount(from, to, group) > MAX_BUCKETS) return { field: "group", message: t("Too many bars: group by week or month.") };
  return null;
}

/** The canonical hash of the dashboard for state with changes (defaults left out). */
export function statsHash(state, changes = {}) {
  const next = { ...state, ...changes };
  if (next.period !== "custom") {
    next.from = "";
    next.to = "";
    next.group = "";
  }
  const resetsPage = ["period", "from", "to", "group", "months"].some((key) => key in changes);
  if (resetsPage && !("page" in changes)) next.page = 1;
  return buildHash(STATS_PATH, next, { ...STATS_DEFAULTS, group: next.period === "custom" ? "" : STATS_DEFAULTS.group });
}

/** The API parameters of each panel. */
export function statsApiParams(state, today = utcToday()) {
  const { from, to, group } = periodRange(state, today);
  return {
    circulation: { from, to, group },
    top: { from, to, kind: state.top, limit: 10 },
    collection: { by: state.by, months: state.lent },
    weeding: { months: state.months, page: state.page, per_page: WEEDING_PER_PAGE },
  };
}

/** Change from a year earlier as a whole percentage (rounded), or null when there is nothing to compare with. */
export function change(now, before) {
  const a = Number(now) || 0;
  const b = Number(before) || 0;
  if (b === 0) return null;
  return Math.round(((a - b) / b) * 100);
}

/** part / whole as a whole percentage, or null when whole is 0. */
export function share(part, whole) {
  const w = Number(whole) || 0;
  return w ? Math.round(((Number(part) || 0) / w) * 100) : null;
}

// ---- Charts: pure geometry; views/stats.js turns it into SVG. ----

/** A "nice" upper bound and tick step for values up to max (1, 2 or 5 times a power of ten), about `count` ticks. */
export function niceScale(max, count = 4) {
  const top = Math.max(1, Number(max) || 0);
  const rough = top / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const wholeStep = Math.max(1, Math.round(step));
  const upper = Math.ceil(top / wholeStep) * wholeStep;
  const ticks = [];
  for (let value = 0; value <= upper; value += wholeStep) ticks.push(value);
  return { max: upper, step: wholeStep, ticks };
}

/**
 * Bars of a column chart and the points of a comparison line: for n buckets in a plot of width × height,
 * each bar's x, width, y and height (y from the top), and each comparison point's x and y.
 */
export function columnChart(values, previous, { width, height }) {
  const n = values.length;
  const scale = niceScale(Math.max(0, ...values, ...previous));
  const slot = n ? width / n : width;
  const gap = slot > 6 ? Math.min(slot * 0.2, 6) : 0;
  const y = (value) => height - (Math.max(0, Number(value) || 0) / scale.max) * height;
  return {
    scale,
    bars: values.map((value, i) => ({ x: i * slot + gap / 2, width: Math.max(1, slot - gap), y: y(value), height: height - y(value) })),
    points: previous.map((value, i) => ({ x: i * slot + slot / 2, y: y(value) })),
    tickY: scale.ticks.map((value) => ({ value, y: y(value) })),
  };
}

/** Horizontal bars (the most borrowed, the collection): each row's length in a plot of `width`, from 0 to max. */
export function barLengths(values, width) {
  const max = Math.max(0, ...values.map((v) => Number(v) || 0));
  return values.map((value) => (max ? ((Number(value) || 0) / max) * width : 0));
}

/** Which of n bucket labels to print on an axis so that at most `fit` show: every k-th, the first always. */
export function labelEvery(n, fit) {
  return Math.max(1, Math.ceil(n / Math.max(1, fit)));
}

// ---- Words for days and buckets, in the language in use (Intl; the API's days are UTC days). ----

function dates(locale, options) {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", ...options });
}

/** "2026-11-02" -> "2 Nov 2026" (or the options' form), "" for anything else. */
export function dayText(iso, locale = "en", options = { day: "numeric", month: "short", year: "numeric" }) {
  const date = parseDay(iso);
  return date ? dates(locale, options).format(date) : "";
}

/** "2 – 8 Nov 2026", "30 Nov – 6 Dec 2026": a range of days as the language writes it. */
export function rangeText(from, to, locale = "en", options = { day: "numeric", month: "short", year: "numeric" }) {
  const start = parseDay(from);
  const end = parseDay(to);
  if (!start || !end) return "";
  return from === to ? dates(locale, options).format(start) : dates(locale, options).formatRange(start, end);
}

/**
 * A bucket's name: a day ("Mon 2 Nov"), a week ("2 – 8 Nov") or a month ("Nov 2026"): short for the chart's axis;
 * for tables with the weekday, and with the year when the period spans more than one (`year`).
 */
export function bucketLabel({ start, end }, group, locale = "en", { short = false, year = false } = {}) {
  const withYear = year ? { year: "numeric" } : {};
  if (group === "month") return dayText(start, locale, { month: short ? "short" : "long", year: "numeric" });
  if (group === "week") return rangeText(start, end, locale, { day: "numeric", month: "short", ...(short ? {} : withYear) });
  return dayText(start, locale, short ? { day: "numeric", month: "short" }
    : { weekday: "short", day: "numeric", month: "short", ...withYear });
}
