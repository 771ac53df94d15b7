// #/help — a short guide for librarians: the desk's keys, holds and the pull list, the hold shelf, labels, where
// the settings are and how a member gets a login. The words are in the view's <template> (index.html).

import { clone } from "../dom.js";

export function render(ctx) {
  ctx.root.replaceChildren(clone("tpl-help"));
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}
