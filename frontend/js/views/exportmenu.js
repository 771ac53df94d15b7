// The catalog's Export action (staff): download the whole catalog, or the books of the current search and
// filters, as CSV, MARC 21, MARCXML or JSON. Plain links: the browser downloads with the session cookie.

import { exportUrl } from "../api.js";
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { EXPORT_FORMATS, exportParams } from "../intake.js";
import { currentUser, isStaff } from "../session.js";

/** Draw (or update) the export menu after the catalog's search form; apiParams are the list's API parameters. */
export function renderExportMenu(view, form, apiParams, filtered) {
  let menu = view.querySelector("[data-export-menu]");
  if (!isStaff(currentUser()?.role)) {
    menu?.remove();
    return;
  }
  if (!menu) {
    menu = el("details", { className: "export-menu", dataset: { exportMenu: "" } },
      el("summary", { text: t("Export") }), el("div", { className: "export-body" }));
    form.after(menu);
  }
  const params = exportParams(apiParams);
  const body = menu.querySelector(".export-body");
  body.replaceChildren(
    el("p", { text: filtered ? t("The books of this search, with their copies:") : t("The whole catalog, with copies:") }),
    el("ul", { className: "export-links" }, ...EXPORT_FORMATS.map(({ format, label }) =>
      el("li", {}, el("a", { href: exportUrl(format, params), download: "", text: t(label) })))),
  );
}
