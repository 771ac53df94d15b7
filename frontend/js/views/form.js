// #/books/new and #/books/{id}/edit — the book form. The server is the validator: the form always
// submits, and a 422 or 409 answer is shown next to each field and in a summary at the top.

import { getBook, createBook, updateBook, listBooks, lookupIsbn, uploadCover } from "../api.js";
import { clone, refs, el, showLoading, loadForView, isAbort } from "../dom.js";
import { showFieldErrors } from "../fielderrors.js";
import { bookToFormValues, formValuesToPayload, patchBody, groupErrors, lookupToFormValues, BOOK_FIELDS } from "../bookform.js";
import { coverFileProblem, coverUrl } from "../covers.js";
import { toIsbn13 } from "../isbn.js";
import { t, tn } from "../i18n.js";
import { addScanButtons } from "../scanner.js";
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
  setUpCover(view, book);
  if (!book) setUpLookup(ctx, view);
  addScanButtons(view);
  return view;
}

// ---- ISBN first: a book already in the catalog opens; otherwise the book databases fill the form ----

const PROVIDER_NAMES = { openlibrary: "Open Library", googlebooks: "Google Books" };

function setUpLookup(ctx, view) {
  const r = refs(view);
  r["isbn-step"].hidden = false;
  r["details-heading"].hidden = false;
  const input = r["lookup-form"].elements.isbn;
  const say = (text, problem = false) => {
    r["lookup-status"].replaceChildren(text ? el("p", { className: problem ? "inline-problem" : "notice", text }) : "");
  };
  r["lookup-form"].addEventListener("submit", async (event) => {
    event.preventDefault();
    if (r["lookup-form"].getAttribute("aria-busy") === "true") return;
    const typed = input.value.trim();
    const isbn = toIsbn13(typed);
    if (!isbn) {
      say(typed ? t("“{isbn}” is not a valid ISBN: check the digits (an ISBN has 10 or 13).", { isbn: typed })
        : t("Type or scan an ISBN first."), true);
      input.focus();
      return;
    }
    r["lookup-form"].setAttribute("aria-busy", "true");
    r["lookup-submit"].disabled = true;
    try {
      say(t("Looking in the catalog…"));
      const existing = await listBooks({ isbn, per_page: 1 }, { signal: ctx.signal });
      if (existing.items.length) {
        const found = existing.items[0];
        const copies = found.availability?.total ?? 0;
        ctx.navigate(`#/books/${found.id}`, { message: t("“{title}” is already in the catalog: you have {copies}.", {
          title: found.title, copies: tn(copies, "{count} copy", "{count} copies") }) });
        return;
      }
      say(t("Looking the ISBN up in the book databases…"));
      const answer = await lookupIsbn(isbn, { signal: ctx.signal });
      fillFromLookup(view, answer);
      say(t("Found in {source}. Check the details below, then add the book.", {
        source: PROVIDER_NAMES[answer.provider] ?? answer.provider }));
      r.form.elements.title.focus();
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
      r.form.elements.isbn.value = isbn;
      if (error.status === 404) {
        say(t("No book database knows this ISBN. Enter the details below."));
        r.form.elements.title.focus();
      } else {
        say(t("The book databases could not be asked: {detail} Enter the details below, or try again in a moment.", {
          detail: error.detail || error.title }), true);
      }
    } finally {
      r["lookup-form"].removeAttribute("aria-busy");
      r["lookup-submit"].disabled = false;
    }
  });
}

function fillFromLookup(view, answer) {
  const r = refs(view);
  const current = Object.fromEntries(BOOK_FIELDS.map((name) => [name, r.form.elements[name].value]));
  const values = lookupToFormValues(answer.book, current);
  for (const name of BOOK_FIELDS) r.form.elements[name].value = values[name];
  if (answer.cover) showCover(view, answer.cover.detail, t("The cover from the book database will be saved with the book."));
}

// ---- The cover: uploaded at once, saved with the book as its cover_id ----

function showCover(view, src, message = "") {
  const r = refs(view);
  r["cover-img"].hidden = !src;
  r["cover-none"].hidden = Boolean(src);
  if (src) r["cover-img"].src = src;
  else r["cover-img"].removeAttribute("src");
  r["cover-remove"].hidden = !src;
  r["cover-status"].textContent = message;
}

function setUpCover(view, book) {
  const r = refs(view);
  const hidden = r.form.elements.cover_id;
  r["cover-img"].alt = t("The cover");
  r["cover-img"].addEventListener("error", () => showCover(view, null, t("The cover image could not be shown.")));
  if (book?.cover) showCover(view, coverUrl(book, "detail"));
  r["cover-file"].addEventListener("change", async () => {
    const file = r["cover-file"].files?.[0];
    if (!file) return;
    const problem = coverFileProblem(file);
    if (problem) {
      r["cover-status"].textContent = t(problem);
      r["cover-file"].value = "";
      return;
    }
    r["cover-status"].textContent = t("Uploading the cover…");
    r["cover-file"].disabled = true;
    try {
      const cover = await uploadCover(file);
      hidden.value = cover.id;
      showCover(view, cover.detail, t("Cover uploaded. It is saved with the book."));
    } catch (error) {
      if (error.status === 401) return;
      r["cover-status"].textContent = t("The cover was not uploaded: {reason}", { reason: error.detail || error.title });
    } finally {
      r["cover-file"].disabled = false;
      r["cover-file"].value = "";
    }
  });
  r["cover-remove"].addEventListener("click", () => {
    hidden.value = "";
    r.form.elements.cover_url.value = "";
    showCover(view, null, book?.cover ? t("The cover will be removed when you save.") : t("No cover."));
    r["cover-file"].focus();
  });
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
