// #/books/new and #/books/{id}/edit — the book form. The server is the validator: the form always
// submits, and a 422 or 409 answer is shown next to each field and in a summary at the top.

import { getBook, createBook, updateBook } from "../api.js";
import { clone, refs, showLoading, loadForView } from "../dom.js";
import { showFieldErrors } from "../fielderrors.js";
import { bookToFormValues, formValuesToPayload, patchBody, groupErrors, BOOK_FIELDS } from "../bookform.js";
import { fullTitle } from "../format.js";
import { languageOptions } from "../languages.js";
import { lastListHash } from "../state.js";

/** Draw an empty form, or load the book and draw it filled in. */
export async function render(ctx) {
  const editing = ctx.params.id !== undefined;
  let book = null;
  if (editing) {
    showLoading(ctx.root, "Loading book…");
    book = await loadForView(
      ctx,
      (options) => getBook(ctx.params.id, options),
      { title: "Book not found", detail: "There is no book with this number to edit. It may have been deleted." },
      () => render(ctx),
    );
    if (book === undefined) return;
  }
  ctx.root.replaceChildren(draw(ctx, book));
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
}

function draw(ctx, book) {
  const view = clone("tpl-book-form");
  const r = refs(view);
  const back = book ? `#/books/${book.id}` : lastListHash();
  r.back.href = back;
  r.back.lastChild.textContent = book ? " Back to the book" : " Back to the catalog";
  r.cancel.href = back;
  r.heading.textContent = book ? `Edit “${book.title}”` : "Add a book";
  r.submit.textContent = book ? "Save changes" : "Add book";

  r.language.append(...languageOptions("en", [book?.language]).map((o) => new Option(o.name, o.code)));
  const values = bookToFormValues(book);
  for (const name of BOOK_FIELDS) r.form.elements[name].value = values[name];

  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(ctx, view, book);
  });
  return view;
}

async function save(ctx, view, book) {
  const r = refs(view);
  if (r.form.getAttribute("aria-busy") === "true") return;
  const values = Object.fromEntries(BOOK_FIELDS.map((name) => [name, r.form.elements[name].value]));
  const payload = formValuesToPayload(values, book);

  let body = payload;
  if (book) {
    body = patchBody(book, payload);
    if (Object.keys(body).length === 0) {
      ctx.navigate(`#/books/${book.id}`, { message: "Nothing was changed." });
      return;
    }
  }

  const label = r.submit.textContent;
  r.form.setAttribute("aria-busy", "true");
  r.submit.disabled = true;
  r.submit.textContent = "Saving…";
  try {
    const saved = book ? await updateBook(book.id, body) : await createBook(body);
    const message = book ? `Saved changes to “${fullTitle(saved)}”.` : `Added “${fullTitle(saved)}” to the catalog.`;
    ctx.navigate(`#/books/${saved.id}`, { message });
  } catch (error) {
    if (!ctx.signal.aborted) showErrors(view, error);
  } finally {
    r.form.removeAttribute("aria-busy");
    r.submit.disabled = false;
    r.submit.textContent = label;
  }
}

/** Put each field's messages next to it, list them all in the summary, and focus the summary. */
function showErrors(view, error) {
  const r = refs(view);
  const grouped = groupErrors(error.errors);
  if (error.status === 409) {
    // A duplicate ISBN: the detail names the existing book, which is the useful part.
    grouped.fields.isbn = [error.detail || grouped.fields.isbn?.[0] || "This ISBN is already in the catalog."];
  }
  const invalid = error.status === 422 || error.status === 409;
  showFieldErrors(r.form, r.summary, grouped, {
    order: BOOK_FIELDS,
    fallback: error.detail || error.title || "The book could not be saved.",
    heading: (count) => (invalid
      ? count === 1 ? "There is a problem with this book" : `There are ${count} problems with this book`
      : `The book could not be saved: ${error.title || "error"}`),
  });
}
