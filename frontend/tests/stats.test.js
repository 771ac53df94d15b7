import test from "node:test";
import assert from "node:assert/strict";
import {
  statsState, periodRange, statsHash, statsApiParams, bucketCount, customPeriodProblem, change, share, niceScale,
  columnChart, barLengths, labelEvery, parseDay, bucketLabel, rangeText, dayText, STATS_DEFAULTS,
} from "../js/stats.js";

const today = new Date(Date.UTC(2026, 10, 30)); // Monday 30 November 2026

test("the state: defaults, known values only, a broken custom period falls back to the default", () => {
  assert.deepEqual(statsState({}), { ...STATS_DEFAULTS });
  const state = statsState({ period: "custom", from: "2026-01-01", to: "2026-03-31", group: "week", top: "authors",
    by: "decade", series: "returns", lent: "24", months: "6", page: "3" });
  assert.deepEqual(state, { period: "custom", from: "2026-01-01", to: "2026-03-31", group: "week", series: "returns",
    top: "authors", by: "decade", lent: 24, months: 6, page: 3 });
  assert.equal(statsState({ period: "custom", from: "2026-03-01", to: "2026-01-01" }).period, "30d");
  assert.equal(statsState({ period: "custom", from: "2026-02-30", to: "2026-03-01" }).period, "30d");
  assert.deepEqual(statsState({ period: "5y", top: "x", by: "y", lent: "7", months: "13", page: "-1" }), { ...STATS_DEFAULTS });
});

test("preset periods end today and start where the preset says", () => {
  assert.deepEqual(periodRange(statsState({}), today), { from: "2026-11-01", to: "2026-11-30", group: "day" });
  assert.deepEqual(periodRange(statsState({ period: "12w" }), today), { from: "2026-09-14", to: "2026-11-30", group: "week" });
  assert.deepEqual(periodRange(statsState({ period: "12m" }), today), { from: "2025-12-01", to: "2026-11-30", group: "month" });
  assert.deepEqual(periodRange(statsState({ period: "year" }), today), { from: "2026-01-01", to: "2026-11-30", group: "month" });
  const custom = statsState({ period: "custom", from: "2025-01-01", to: "2025-01-31", group: "week" });
  assert.deepEqual(periodRange(custom, today), { from: "2025-01-01", to: "2025-01-31", group: "week" });
  assert.equal(bucketCount("2026-09-14", "2026-11-30", "week"), 12);
  assert.equal(bucketCount("2026-11-01", "2026-11-30", "day"), 30);
  assert.equal(bucketCount("2025-12-15", "2026-11-01", "month"), 12);
});

test("hashes: canonical, defaults left out, a new period or window goes back to page 1", () => {
  const state = statsState({ months: "12", page: "4" });
  assert.equal(statsHash(statsState({})), "#/stats");
  assert.equal(statsHash(state, { top: "subjects" }), "#/stats?top=subjects&months=12&page=4");
  assert.equal(statsHash(state, { period: "12m" }), "#/stats?period=12m&months=12");
  assert.equal(statsHash(state, { months: 36 }), "#/stats?months=36");
  assert.equal(statsHash(statsState({}), { period: "custom", from: "2026-01-01", to: "2026-02-01", group: "day" }),
    "#/stats?period=custom&from=2026-01-01&to=2026-02-01&group=day");
  const custom = statsState({ period: "custom", from: "2026-01-01", to: "2026-02-01", group: "week" });
  assert.equal(statsHash(custom, { period: "30d" }), "#/stats");
});

test("each panel's API parameters", () => {
  const params = statsApiParams(statsState({ period: "12m", top: "authors", by: "language", lent: "6", page: "2" }), today);
  assert.deepEqual(params.circulation, { from: "2025-12-01", to: "2026-11-30", group: "month" });
  assert.deepEqual(params.top, { from: "2025-12-01", to: "2026-11-30", kind: "authors", limit: 10 });
  assert.deepEqual(params.collection, { by: "language", months: 6 });
  assert.deepEqual(params.weeding, { months: 24, page: 2, per_page: 20 });
});

test("a custom period's problems, as the API would refuse them", () => {
  assert.equal(customPeriodProblem({ from: "", to: "2026-01-01", group: "day" }).field, "from");
  assert.equal(customPeriodProblem({ from: "2026-01-01", to: "", group: "day" }).field, "to");
  assert.equal(customPeriodProblem({ from: "2026-02-01", to: "2026-01-01", group: "day" }).field, "to");
  assert.equal(customPeriodProblem({ from: "2010-01-01", to: "2026-01-01", group: "month" }).field, "from");
  assert.equal(customPeriodProblem({ from: "2020-01-01", to: "2026-01-01", group: "day" }).field, "group");
  assert.equal(customPeriodProblem({ from: "2020-01-01", to: "2026-01-01", group: "week" }), null);
});

test("changes and shares", () => {
  assert.equal(change(110, 100), 10);
  assert.equal(change(90, 100), -10);
  assert.equal(change(5, 0), null);
  assert.equal(share(1, 3), 33);
  assert.equal(share(1, 0), null);
});

test("chart geometry: nice scales, columns from the bottom, comparison points centred, bar lengths", () => {
  assert.deepEqual(niceScale(0), { max: 1, step: 1, ticks: [0, 1] });
  assert.deepEqual(niceScale(7), { max: 8, step: 2, ticks: [0, 2, 4, 6, 8] });
  assert.deepEqual(niceScale(1234).ticks, [0, 500, 1000, 1500]);
  const chart = columnChart([4, 0, 8], [8, 2, 0], { width: 300, height: 100 });
  assert.equal(chart.scale.max, 8);
  assert.deepEqual(chart.bars.map((b) => [b.y, b.height]), [[50, 50], [100, 0], [0, 100]]);
  assert.deepEqual(chart.points.map((p) => [p.x, p.y]), [[50, 0], [150, 75], [250, 100]]);
  assert.ok(chart.bars.every((b) => b.width > 0 && b.width < 100));
  assert.deepEqual(barLengths([5, 10, 0], 200), [100, 200, 0]);
  assert.deepEqual(barLengths([0, 0], 200), [0, 0]);
  assert.equal(labelEvery(30, 8), 4);
  assert.equal(labelEvery(5, 8), 1);
});

const spaced = (text) => text.replace(/\s/g, " "); // Intl puts thin spaces around a range's dash

test("days and buckets in words follow the language", () => {
  assert.equal(parseDay("2026-02-29"), null);
  assert.equal(dayText("2026-11-02", "en"), "Nov 2, 2026");
  assert.equal(dayText("2026-11-02", "fr"), "2 nov. 2026");
  assert.equal(spaced(rangeText("2026-11-02", "2026-11-08", "en")), "Nov 2 – 8, 2026");
  assert.equal(bucketLabel({ start: "2026-11-01", end: "2026-11-30" }, "month", "de"), "November 2026");
  assert.equal(bucketLabel({ start: "2026-11-02", end: "2026-11-02" }, "day", "en", { short: true }), "Nov 2");
  assert.equal(bucketLabel({ start: "2026-11-02", end: "2026-11-02" }, "day", "en"), "Mon, Nov 2");
  assert.equal(bucketLabel({ start: "2026-11-02", end: "2026-11-02" }, "day", "en", { year: true }), "Mon, Nov 2, 2026");
  assert.equal(spaced(bucketLabel({ start: "2026-11-02", end: "2026-11-08" }, "week", "en", { short: true })), "Nov 2 – 8");
});
