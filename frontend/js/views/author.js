// #/authors/{id}?page=n — an author and a page of their books.

import { getAuthor, listAuthorBooks } from "../api.js";
import { clone, refs, showLoading, showProblem, showEmpty, isAbort, focusLost, loadForView } from "../dom.js";
import { countLabel } from "../format.js";
import { toPositiveInt, pageInfo, resultsSummary } from "../query.js";
import { buildHash } from "../router.js";
import { renderBooks, renderPager } from "./results.js";
import { authorTools } from "./authoredit.js";
import { currentUser, canEditCatalog } from "../session.js";

const PER_PAGE = 20;

/** Load the author (unless already shown) and the requested page of their books. */
export async function render(ctx) {
  const id = ctx.params.id;
  const page = toPositiveInt(ctx.query.page, 1);
  let view = ctx.sameView ? ctx.root.querySelector(':scope > [data-view="author"]') : null;
  if (!view) {
    showLoading(ctx.root, "Loading author…");
    const author = await loadForView(
      ctx,
      (options) => getAuthor(id, options),
      { title: "Author not found", detail: "There is no author with this number in the catalog." },
      () => render(ctx),
    );
    if (author === undefined) return;
    view = clone("tpl-author");
    const r = refs(view);
    const draw = (shown) => {
      r.name.textContent = shown.name;
      const filed = shown.sort_name && shown.sort_name !== shown.name ? `Filed as “${shown.sort_name}”. ` : "";
      r.about.textContent = `${filed}${countLabel(shown.book_count, "book")} in the catalog.`;
    };
    draw(author);
    if (canEditCatalog(currentUser()?.role)) {
      r.tools.replaceChildren(authorTools(ctx, author, (saved, message) => {
        draw(saved);
        r.tools.querySelector(".author-tools > .notice").textContent = message;
        loadBooks(ctx, view, id, 1);
      }));
    }
    ctx.root.replaceChildren(view);
    ctx.root.removeAttribute("aria-busy");
    ctx.ready();
  }
  await loadBooks(ctx, view, id, page);
}

async function loadBooks(ctx, view, id, page, { retry = false } = {}) {
  const r = refs(view);
  showLoading(r.results, "Loading books…");
  try {
    const envelope = await listAuthorBooks(id, { page, per_page: PER_PAGE, sort: "-published_year" }, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const info = envelope.items.length ? renderBooks(r.results, envelope) : pageInfo(envelope);
    if (!envelope.items.length) showEmpty(r.results, info.outOfRange ? "This page is past the end of the list." : "No books by this author are in the catalog.");
    r.summary.textContent = resultsSummary(info);
    renderPager(r.pager, info, (n) => buildHash(`/authors/${id}`, { page: n }, { page: 1 }));
    if ((ctx.sameView || retry) && focusLost()) r.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r.summary.textContent = "Could not load the books";
    r.pager.replaceChildren();
    showProblem(r.results, error, () => loadBooks(ctx, view, id, page, { retry: true }));
  }
}
