// #/books/{id} — one book: its details, links to its authors and subjects, its availability and copies
// (where they are, when loaned ones are due back), "Place hold" for a signed-in member with a card,
// and for staff Edit, Delete, Add a copy and each copy's Mark lost / Withdraw / Make available.

import { getBook, deleteBook, listCopies, createCopy, updateCopy, listHolds, placeHold } from "../api.js";
import { clone, refs, el, setText, showLoading, showProblem, showEmpty, loadForView, doneLoading, isAbort, inlineProblem, focusLost } from "../dom.js";
import { clearFieldErrors, showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import {
  availabilityText, availabilitySummary, holdsText, copyStatusLabel, copyActions, copyBody, holdStatusText, holdPlacedText,
} from "../circulation.js";
import { myCard } from "../membership.js";
import { formatDate, listParts, paragraphs, fullTitle } from "../format.js";
import { coverUrl } from "../covers.js";
import { t } from "../i18n.js";
import { addScanButtons } from "../scanner.js";
import { languageName } from "../languages.js";
import { buildHash } from "../router.js";
import { lastListHash } from "../state.js";
import { currentUser, canEditCatalog, isStaff } from "../session.js";

const COPY_FIELDS = ["barcode", "location", "call_number", "notes"];
const COPY_ACTION_LABELS = { lost: "Mark lost", withdrawn: "Withdraw", available: "Make available" };
const COPY_ACTION_DONE = { lost: "marked lost", withdrawn: "withdrawn", available: "made available" };

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
  if (String(book.id) !== String(ctx.params.id)) {
    // The book was merged into another (the API answered 301): show the survivor under its own address.
    ctx.navigate(`#/books/${book.id}`, { replace: true, message: t("That book was merged into this one.") });
    return;
  }
  const view = draw(ctx, book);
  const page = { ctx, view, book, staff: isStaff(currentUser()?.role) };
  drawAvailability(page);
  if (page.staff) setUpAddCopy(page);
  ctx.root.replaceChildren(view);
  ctx.root.removeAttribute("aria-busy");
  ctx.ready();
  await Promise.all([loadCopies(page), setUpHold(page)]);
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

  const cover = coverUrl(book, "detail");
  if (cover) {
    r.cover.alt = t("Cover of {title}", { title: fullTitle(book) });
    r.cover.addEventListener("error", () => {
      r.cover.hidden = true;
      r["cover-none"].hidden = false;
    }, { once: true });
    r.cover.src = cover;
    r.cover.hidden = false;
    r["cover-none"].hidden = true;
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

// ---- Availability, copies and holds ----

function drawAvailability({ view, book }) {
  const r = refs(view);
  const summary = availabilitySummary(book.availability);
  const waiting = holdsText(book.availability);
  r.availability.className = `availability-line is-${summary?.kind ?? "none"}`;
  r.availability.replaceChildren(
    el("span", { className: "availability-icon", "aria-hidden": "true", text: summary?.kind === "available" ? "✓" : "✗" }), " ",
    el("strong", { text: availabilityText(book.availability) }),
    waiting ? `, ${waiting} (holds in the queue)` : "",
  );
}

/** Fetch the book again for its availability after a change to its copies or holds. */
async function refreshAvailability(page) {
  try {
    page.book = await getBook(page.book.id, { signal: page.ctx.signal });
    drawAvailability(page);
  } catch {
    // The line keeps its last numbers; the copies table is fresh anyway.
  }
}

async function loadCopies(page, { retry = false } = {}) {
  const { ctx, view, book, staff } = page;
  const r = refs(view);
  showLoading(r.copies, "Loading copies…");
  try {
    const copies = await listCopies(book.id, { per_page: 100 }, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    if (copies.items.length === 0) {
      showEmpty(r.copies, "The library has no copies of this book.", staff ? "Add one below when it arrives." : "");
    } else {
      r.copies.replaceChildren(copiesTable(page, copies));
      doneLoading(r.copies);
    }
    if (retry && focusLost()) r.copies.querySelector(".table-scroll")?.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    showProblem(r.copies, error, () => loadCopies(page, { retry: true }));
  }
}

function copiesTable(page, copies) {
  const { staff } = page;
  const node = clone("tpl-copies-table");
  const r = refs(node);
  const shown = copies.items.length < copies.total ? ` (first ${copies.items.length} of ${copies.total})` : "";
  r.caption.textContent = `Copies${shown}`;
  const columns = [staff ? "Barcode" : "Copy", "Status", "Shelf", "Due back", ...(staff ? ["Actions"] : [])];
  r.head.replaceChildren(...columns.map((name) => el("th", { scope: "col", text: name })));
  r.body.replaceChildren(...copies.items.map((copy, index) => {
    const cells = [
      el("th", { scope: "row", className: staff ? "mono" : "", text: staff ? copy.barcode : String(index + 1) }),
      el("td", {}, el("span", { className: `copy-status is-${copy.status}`, text: copyStatusLabel(copy.status) })),
      el("td", {}, copy.location || (copy.call_number ? "" : "—"),
        copy.call_number ? el("span", { className: "call-number mono", text: copy.call_number }) : ""),
      el("td", { text: copy.due_at ? formatDate(copy.due_at) : "—" }),
    ];
    if (staff) {
      const buttons = copyActions(copy).map((status) => {
        const button = el("button", {
          type: "button", className: `button small ${status === "available" ? "secondary" : "danger"}`,
          text: COPY_ACTION_LABELS[status], "aria-label": `${COPY_ACTION_LABELS[status]}: copy ${copy.barcode}`,
        });
        button.addEventListener("click", () => setCopyStatus(page, copy, status, button));
        return button;
      });
      cells.push(el("td", {}, el("div", { className: "actions table-actions" }, ...buttons)));
    }
    return el("tr", { dataset: { copyId: String(copy.id) } }, ...cells);
  }));
  return node;
}

async function setCopyStatus(page, copy, status, button) {
  const { ctx, view } = page;
  const r = refs(view);
  button.disabled = true;
  r["copies-status"].textContent = "";
  view.querySelector(".copy-problem")?.remove();
  try {
    await updateCopy(copy.id, { status });
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    button.disabled = false;
    const problem = inlineProblem(`Could not change copy ${copy.barcode}`, error);
    problem.classList.add("copy-problem");
    r.copies.after(problem);
    button.focus();
    return;
  }
  r["copies-status"].textContent = `Copy ${copy.barcode} ${COPY_ACTION_DONE[status]}.`;
  await Promise.all([loadCopies(page), refreshAvailability(page)]);
  // The row was drawn again: continue from the same copy's row (or the table).
  const row = r.copies.querySelector(`tr[data-copy-id="${copy.id}"]`);
  (row?.querySelector("button") ?? r.copies.querySelector(".table-scroll"))?.focus();
}

function setUpAddCopy(page) {
  const { ctx, view, book } = page;
  const section = refs(view);
  const details = section["add-copy"];
  details.hidden = false;
  const form = section["copy-form"];
  addScanButtons(form, (_code, input) => input.focus()); // the barcode is filled in; location may follow
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    const body = copyBody(Object.fromEntries(COPY_FIELDS.map((name) => [name, form.elements[name]?.value ?? ""])));
    form.setAttribute("aria-busy", "true");
    section["copy-submit"].disabled = true;
    try {
      const copy = await createCopy(book.id, body);
      clearFieldErrors(form, section.summary);
      form.reset();
      section["copies-status"].textContent = `Added copy ${copy.barcode}.`;
      await Promise.all([loadCopies(page), refreshAvailability(page)]);
      form.elements.barcode.focus(); // ready for the next copy
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      const grouped = groupErrors(error.errors, COPY_FIELDS);
      if (error.status === 409 && !grouped.fields.barcode) grouped.fields.barcode = [error.detail || "This barcode is in use."];
      showFieldErrors(form, section.summary, grouped, {
        order: COPY_FIELDS,
        fallback: error.detail || error.title,
        heading: (count) => (error.status === 422 || error.status === 409
          ? count === 1 ? "There is a problem with this copy" : `There are ${count} problems with this copy`
          : `The copy was not added: ${error.title}`),
      });
    } finally {
      form.removeAttribute("aria-busy");
      section["copy-submit"].disabled = false;
    }
  });
}

/** "Place hold" for a signed-in user with a library card, or their open hold on this book. */
async function setUpHold(page) {
  const { ctx, view, book } = page;
  const r = refs(view);
  if (!currentUser()) return;
  let card;
  try {
    card = await myCard();
  } catch {
    return; // no hold button rather than a second error on the page
  }
  if (!card || ctx.signal.aborted) return;
  let open = null;
  try {
    const holds = await listHolds({ book_id: book.id, member_id: card.id, per_page: 100 }, { signal: ctx.signal });
    open = holds.items.find((hold) => hold.status === "waiting" || hold.status === "ready") ?? null;
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
  }
  if (ctx.signal.aborted) return;
  r["hold-area"].hidden = false;
  showMyHold(r, open);
  r.hold.hidden = Boolean(open);
  r.hold.setAttribute("aria-describedby", "book-availability");
  r.hold.addEventListener("click", async () => {
    r.hold.disabled = true;
    r["hold-problem"].replaceChildren();
    try {
      const hold = await placeHold({ book_id: book.id });
      r.hold.hidden = true;
      showMyHold(r, hold, holdPlacedText(hold));
      r["hold-mine"].focus(); // the button is gone: the result takes its place, and is read out
      await Promise.all([loadCopies(page), refreshAvailability(page)]);
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      r["hold-problem"].replaceChildren(inlineProblem("Could not place a hold", error));
      r.hold.focus();
    } finally {
      r.hold.disabled = false;
    }
  });
}

function showMyHold(r, hold, placed = "") {
  if (!hold) {
    r["hold-mine"].hidden = true;
    return;
  }
  r["hold-mine"].replaceChildren(
    ...(placed ? [el("strong", { text: placed }), " "] : [el("strong", { text: "You have a hold on this book: " }), holdStatusText(hold), ". "]),
    el("a", { href: "#/me", text: "See your loans and holds" }),
  );
  r["hold-mine"].hidden = false;
}
