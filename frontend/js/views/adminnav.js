// The admin pages' own navigation (Users, Settings, Audit trail), under the header's one "Admin" link.

import { el } from "../dom.js";
import { t } from "../i18n.js";

const PAGES = [["users", "#/admin/users", "Users"], ["settings", "#/admin/settings", "Settings"],
  ["audit", "#/admin/audit", "Audit trail"]];

/** The admin navigation with `current` marked: the page itself (exact) or a page inside it. */
export function adminNav(current, { exact = true } = {}) {
  return el("nav", { className: "sub-nav", "aria-label": t("Administration") },
    el("ul", {}, ...PAGES.map(([key, href, label]) => el("li", {},
      el("a", { href, "aria-current": key === current ? (exact ? "page" : "true") : null, text: t(label) })))));
}
