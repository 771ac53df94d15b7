// The not-found view: unknown routes, and ids the API answers 404 for.

import { clone, refs } from "../dom.js";

/** Draw "not found" with an optional specific title and explanation. */
export function render(ctx, { title, detail, eyebrow } = {}) {
  const view = clone("tpl-not-found");
  const r = refs(view);
  if (eyebrow) r.eyebrow.textContent = eyebrow;
  if (title) r.title.textContent = title;
  if (detail) r.detail.textContent = detail;
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}
