// Shown instead of a page the user's role may not see (e.g. #/books/new for a visitor or a member):
// what the page needs, and for visitors a login link that comes back here afterwards.

import { clone, refs } from "../dom.js";
import { accessMessage } from "../accounts.js";
import { loginHash } from "../router.js";
import { currentUser } from "../session.js";

/** Draw the "log in as ..." or "this page needs ..." view for a route's `access` requirement. */
export function render(ctx, access) {
  const view = clone("tpl-access");
  const r = refs(view);
  const message = accessMessage(access, currentUser());
  r.title.textContent = message.title;
  r.detail.textContent = message.detail;
  if (message.login) r.login.href = loginHash(ctx.hash);
  else r.login.remove();
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}
