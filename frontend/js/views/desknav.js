// The desk's own navigation, on the desk and on each of its lists: the pages staff move between all day.

import { el } from "../dom.js";
import { t } from "../i18n.js";

const PAGES = [
  ["desk", "#/desk", "Desk"],
  ["pull", "#/desk/pull-list", "Pull list"],
  ["shelf", "#/desk/hold-shelf", "Hold shelf"],
  ["loans", "#/desk/loans", "Loans"],
  ["labels", "#/desk/labels", "Labels"],
  ["archive", "#/desk/archive", "Archived books"],
];

/** <nav> with the desk's pages; `current` is marked as the page shown. */
export function deskNav(current) {
  return el("nav", { className: "desk-nav", "aria-label": t("Desk pages") },
    el("ul", {}, ...PAGES.map(([key, href, label]) => el("li", {},
      el("a", { href, "aria-current": key === current ? "page" : null, text: t(label) })))));
}
