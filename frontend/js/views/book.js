// #/books/{id} — one book: its details, links to its authors and subjects, Edit and Delete.

import { getBook, deleteBook } from "../api.js";
import { clone, refs, el, setText, showLoading, loadForView } from "../dom.js";
import { formatDate, listParts, paragraphs, safeImageUrl, fullTitle } from "../format.js";
import { languageName } from "../languages.js";
import { buildHash } from "../router.js";
import { lastListHash } from "../state.js";
import { currentUser, canEditCatalog } from "../session.js";

/** Load the book and draw it; a 404 shows the not-found view. */
export async function render(ctx) {
  showLoading(ctx.root, "Loading book…");
  const book = await loadForView(
    ctx,
    (options) => getBook(ctx.params.id, options),
    { title: "Book not found", detail: "There is no book with this number in the catalog. It may have been deleted." },
    () => render(ctx),
  );
  if (book === undefined) return;
  ctx.root.replaceChildren(draw(ctx, book));
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

function draw(ctx, book) {
  const view = clone("tpl-book");
  const r = refs(view);
  r.back.href = lastListHash();
  r.title.textContent = book.title;
  setText(r.subtitle, book.subtitle);
  drawByline(r.byline, book.authors ?? []);
  drawFacts(r.facts, book);

  const paras = paragraphs(book.description);
  r["description-section"].hidden = paras.length === 0;
  r.description.replaceChildren(...paras.map((text) => el("p", { text })));

  const cover = safeImageUrl(book.cover_url);
  if (cover) {
    r.cover.alt = `Cover of ${fullTitle(book)}`;
    r.cover.addEventListener("error", () => { r["cover-wrap"].hidden = true; }, { once: true });
    r.cover.src = cover;
    r["cover-wrap"].hidden = false;
  }

  // Visitors and members only read the catalog: no Edit or Delete for them.
  if (!canEditCatalog(currentUser()?.role)) {
    r.actions.remove();
    r.confirm.remove();
    return view;
  }
  r.edit.href = `#/books/${book.id}/edit`;
  r.edit.setAttribute("aria-label", `Edit “${book.title}”`);
  r.delete.setAttribute("aria-label", `Delete “${book.title}”`);
  r.delete.addEventListener("click", () => {
    r["confirm-text"].textContent = `“${fullTitle(book)}” will be removed from the catalog. This cannot be undone.`;
    r.confirm.returnValue = "";
    r.confirm.showModal();
  });
  r.confirm.addEventListener("close", () => {
    if (r.confirm.returnValue === "delete") remove(ctx, book, r);
    else r.delete.focus();
  });
  return view;
}

function drawByline(node, authors) {
  if (authors.length === 0) {
    setText(node, "");
    return;
  }
  const parts = listParts(authors.map((a) => a.name)).map((part) =>
    part.type === "element" ? el("a", { href: `#/authors/${authors[part.index].id}`, text: part.value }) : part.value,
  );
  node.replaceChildren("by ", ...parts);
  node.hidden = false;
}

function drawFacts(dl, book) {
  const rows = [];
  const add = (term, ...value) => {
    if (value.length && value.every((v) => v !== null && v !== undefined && v !== "")) {
      rows.push(el("div", { className: "fact" }, el("dt", { text: term }), el("dd", {}, ...value)));
    }
  };
  add("ISBN", book.isbn_formatted ?? book.isbn);
  add("ISBN-10", book.isbn10);
  add("Publisher", book.publisher);
  add("Published", book.published_year === null || book.published_year === undefined ? null : String(book.published_year));
  add("Language", book.language ? languageName(book.language) : null);
  if ((book.subjects ?? []).length > 0) {
    const list = el("ul", { className: "tags" }, ...book.subjects.map((subject) =>
      el("li", {}, el("a", { href: buildHash("/books", { subject }), text: subject })),
    ));
    add(book.subjects.length === 1 ? "Subject" : "Subjects", list);
  }
  const added = formatDate(book.created_at);
  const changed = formatDate(book.updated_at);
  add("Added", added);
  if (changed !== added) add("Last changed", changed);
  dl.replaceChildren(...rows);
}

async function remove(ctx, book, r) {
  r.delete.disabled = true;
  r.delete.textContent = "Deleting…";
  r["delete-problem"].replaceChildren();
  try {
    await deleteBook(book.id);
  } catch (error) {
    if (ctx.signal.aborted) return; // e.g. the session ended and the login page took over
    if (error.status !== 404) {
      r.delete.disabled = false;
      r.delete.textContent = "Delete";
      const message = el("p", { className: "inline-problem", role: "alert" },
        el("strong", { text: `Could not delete the book: ${error.title}.` }), error.detail ? ` ${error.detail}` : "");
      r["delete-problem"].replaceChildren(message);
      r.delete.focus();
      return;
    }
    // Already gone: the outcome the user asked for.
  }
  ctx.navigate(lastListHash(), { message: `Deleted “${fullTitle(book)}” from the catalog.`, force: true });
}
