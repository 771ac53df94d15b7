// #/books/new and #/books/{id}/edit — the book form. The server is the validator: the form always
// submits, and a 422 or 409 answer is shown next to each field and in a summary at the top.

import { getBook, createBook, updateBook } from "../api.js";
import { clone, refs, el, showLoading, loadForView } from "../dom.js";
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

function clearErrors(view) {
  for (const node of view.querySelectorAll(".field-error")) node.remove();
  for (const field of view.querySelectorAll(".field.has-error")) field.classList.remove("has-error");
  for (const input of view.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }
}

/** Put each field's messages next to it, list them all in the summary, and focus the summary. */
function showErrors(view, error) {
  const r = refs(view);
  clearErrors(view);
  const grouped = groupErrors(error.errors);
  if (error.status === 409) {
    // A duplicate ISBN: the detail names the existing book, which is the useful part.
    grouped.fields.isbn = [error.detail || grouped.fields.isbn?.[0] || "This ISBN is already in the catalog."];
  }

  const items = [];
  for (const name of BOOK_FIELDS) {
    const messages = grouped.fields[name];
    if (!messages) continue;
    const input = r.form.elements[name];
    const id = `${input.id}-error`;
    const note = el("p", { className: "field-error", id },
      el("span", { className: "visually-hidden", text: "Error: " }), messages.join(" "));
    input.after(note);
    input.closest(".field").classList.add("has-error");
    input.setAttribute("aria-invalid", "true");
    const described = (input.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
    input.setAttribute("aria-describedby", [...described, id].join(" "));

    const labelText = view.querySelector(`label[for="${input.id}"]`).firstChild.textContent.trim();
    const link = el("a", { href: `#${input.id}`, text: `${labelText}: ${messages.join(" ")}` });
    link.addEventListener("click", (event) => {
      event.preventDefault(); // an in-page anchor would replace the route in the hash
      input.focus();
    });
    items.push(el("li", {}, link));
  }
  for (const message of grouped.other) items.push(el("li", { text: message }));
  if (items.length === 0) items.push(el("li", { text: error.detail || error.title || "The book could not be saved." }));

  const count = items.length;
  r["summary-title"].textContent =
    error.status === 422 || error.status === 409
      ? count === 1 ? "There is a problem with this book" : `There are ${count} problems with this book`
      : `The book could not be saved: ${error.title || "error"}`;
  r["summary-list"].replaceChildren(...items);
  r.summary.hidden = false;
  r.summary.focus(); // reading the summary out is the announcement
}
