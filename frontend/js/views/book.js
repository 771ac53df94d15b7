// #/books/{id} — one book: its details, links to its authors and subjects, its availability and copies
// (where they are, when loaned ones are due back), "Place hold" for a signed-in member with a card,
// and for staff Edit, Delete or Archive, Add a copy (the next barcode on request) and each copy's Edit dialog
// (shelf, call number, notes; withdraw, mark lost, make available, delete one never lent), with links to the
// book's holds queue, its loans and its labels.

import {
  getBook, deleteBook, archiveBook, listCopies, createCopy, updateCopy, deleteCopy, listHolds, placeHold, reserveBarcode,
} from "../api.js";
import { clone, refs, el, setText, showLoading, showProblem, showEmpty, loadForView, doneLoading, isAbort, inlineProblem, focusLost, confirmDialog } from "../dom.js";
import { clearFieldErrors, showFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import {
  availabilityText, availabilitySummary, holdsText, copyStatusLabel, copyActions, copyBody, holdStatusText, holdPlacedText,
  retireChoice,
} from "../circulation.js";
import { formatDate, listParts, paragraphs, fullTitle } from "../format.js";
import { coverUrl } from "../covers.js";
import { t, tn } from "../i18n.js";
import { addScanButtons } from "../scanner.js";
import { languageName } from "../languages.js";
import { buildHash, loginHash } from "../router.js";
import { lastListHash } from "../state.js";
import { currentUser, currentCard, canEditCatalog, isStaff } from "../session.js";

const COPY_FIELDS = ["barcode", "location", "call_number", "notes"];
const EDIT_FIELDS = ["location", "call_number", "notes"];

/** Load the book and draw it; a 404 shows the not-found view. */
export async function render(ctx) {
  showLoading(ctx.root, t("Loading book…"));
  const book = await loadForView(
    ctx,
    (options) => getBook(ctx.params.id, options),
    { title: t("Book not found"), detail: t("There is no book with this number in the catalog. It may have been deleted.") },
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
  if (page.staff) {
    setUpAddCopy(page);
    drawStaffLinks(page);
  }
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
  r.delete.hidden = true; // shown as Delete or Archive once the copies say which (drawRetire)
  r.confirm.addEventListener("close", () => {
    if (r.confirm.returnValue === "delete") remove(ctx, book, r);
    else r.delete.focus();
  });
  return view;
}

/**
 * The Delete button as the copies allow: Delete (a book that never circulated), Archive (one with history), or
 * a note saying which copies to withdraw first.
 */
function drawRetire(page, copies) {
  const { ctx, view, book } = page;
  const r = refs(view);
  if (!r.delete) return;
  const choice = retireChoice(copies);
  page.retire = choice.action;
  r.delete.hidden = choice.action === "blocked";
  setText(r["retire-note"], choice.action === "blocked"
    ? t("To take this book out of the catalog, withdraw its copies first (or delete those never lent): {n} still in service.", { n: choice.inService })
    : choice.action === "archive" ? t("Its copies have loan history, so the book is archived rather than deleted: it leaves the catalog and its search, keeps its history, and can be restored from Archived books.") : "");
  r.delete.textContent = choice.action === "archive" ? t("Archive") : t("Delete");
  r.delete.setAttribute("aria-label", choice.action === "archive" ? t("Archive “{title}”", { title: book.title }) : t("Delete “{title}”", { title: book.title }));
  if (!r.delete.dataset.wired) {
    r.delete.dataset.wired = "true";
    r.delete.addEventListener("click", async () => {
      if (page.retire === "archive") {
        const ok = await confirmDialog(view, {
          title: t("Archive this book?"),
          text: t("“{title}” leaves the catalog and its search; its loan history stays for the statistics. Waiting holds on it are cancelled. You can restore it from Archived books.", { title: fullTitle(book) }),
          confirmLabel: t("Archive book"),
          opener: r.delete,
        });
        if (ok) archive(ctx, book, r);
        return;
      }
      r["confirm-text"].textContent = t("“{title}” and its withdrawn copies will be removed from the catalog. This cannot be undone.", { title: fullTitle(book) });
      r.confirm.returnValue = "";
      r.confirm.showModal();
    });
  }
}

async function archive(ctx, book, r) {
  r.delete.disabled = true;
  r["delete-problem"].replaceChildren();
  try {
    await archiveBook(book.id);
  } catch (error) {
    if (ctx.signal.aborted) return;
    r.delete.disabled = false;
    r["delete-problem"].replaceChildren(inlineProblem(t("Could not archive the book"), error));
    r.delete.focus();
    return;
  }
  ctx.navigate("#/desk/archive", { message: t("Archived “{title}”: it is out of the catalog. Restore it here if you need it back.", { title: fullTitle(book) }) });
}

/** Staff: the book's holds queue, its loans and its labels. */
function drawStaffLinks({ view, book }) {
  const r = refs(view);
  r["staff-links"].hidden = false;
  r["staff-links"].replaceChildren(
    el("a", { href: `#/desk/holds?book=${book.id}`, text: t("Holds queue") }), " · ",
    el("a", { href: `#/desk/loans?book=${book.id}`, text: t("Loans of this book") }), " · ",
    el("a", { href: `#/desk/labels?book=${book.id}`, text: t("Print labels for its copies") }));
}

function drawByline(node, authors) {
  if (authors.length === 0) {
    setText(node, "");
    return;
  }
  const parts = listParts(authors.map((a) => a.name)).map((part) =>
    part.type === "element" ? el("a", { href: `#/authors/${authors[part.index].id}`, text: part.value }) : part.value,
  );
  node.replaceChildren(`${t("by")} `, ...parts);
  node.hidden = false;
}

function drawFacts(dl, book) {
  const rows = [];
  const add = (term, ...value) => {
    if (value.length && value.every((v) => v !== null && v !== undefined && v !== "")) {
      rows.push(el("div", { className: "fact" }, el("dt", { text: term }), el("dd", {}, ...value)));
    }
  };
  add(t("ISBN"), book.isbn_formatted ?? book.isbn);
  add(t("ISBN-10"), book.isbn10);
  add(t("Other ISBNs"), (book.other_isbns ?? []).join(", "));
  add(t("Edition"), book.edition);
  add(t("Publisher"), book.publisher);
  add(t("Published"), book.published_year === null || book.published_year === undefined ? null : String(book.published_year));
  add(t("Language"), book.language ? languageName(book.language) : null);
  add(t("Call number"), book.call_number);
  if ((book.subjects ?? []).length > 0) {
    const list = el("ul", { className: "tags" }, ...book.subjects.map((subject) =>
      el("li", {}, el("a", { href: buildHash("/books", { subject }), text: subject })),
    ));
    add(book.subjects.length === 1 ? t("Subject") : t("Subjects"), list);
  }
  const added = formatDate(book.created_at);
  const changed = formatDate(book.updated_at);
  add(t("Added"), added);
  if (changed !== added) add(t("Last changed"), changed);
  dl.replaceChildren(...rows);
}

async function remove(ctx, book, r) {
  r.delete.disabled = true;
  r.delete.textContent = t("Deleting…");
  r["delete-problem"].replaceChildren();
  try {
    await deleteBook(book.id);
  } catch (error) {
    if (ctx.signal.aborted) return; // e.g. the session ended and the login page took over
    if (error.status !== 404) {
      r.delete.disabled = false;
      r.delete.textContent = t("Delete");
      const message = el("p", { className: "inline-problem", role: "alert" },
        el("strong", { text: t("Could not delete the book: {title}.", { title: error.title }) }), error.detail ? ` ${error.detail}` : "");
      r["delete-problem"].replaceChildren(message);
      if (error.status === 409 && /archive/i.test(error.detail)) {
        // It has history after all (e.g. old holds): offer what the server suggests.
        const archiveNow = el("button", { type: "button", className: "button secondary", text: t("Archive it instead") });
        archiveNow.addEventListener("click", () => archive(ctx, book, r));
        message.append(" ", archiveNow);
      }
      r.delete.focus();
      return;
    }
    // Already gone: the outcome the user asked for.
  }
  ctx.navigate(lastListHash(), { message: t("Deleted “{title}” from the catalog.", { title: fullTitle(book) }), force: true });
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
    waiting ? t(", {waiting} (holds in the queue)", { waiting }) : "",
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
  showLoading(r.copies, t("Loading copies…"));
  try {
    const copies = await listCopies(book.id, { per_page: 100 }, { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    if (copies.items.length === 0) {
      showEmpty(r.copies, t("The library has no copies of this book."), staff ? "Add one below when it arrives." : "");
    } else {
      r.copies.replaceChildren(copiesTable(page, copies));
      doneLoading(r.copies);
    }
    if (canEditCatalog(currentUser()?.role)) drawRetire(page, copies.items);
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
  r.caption.textContent = copies.items.length < copies.total
    ? t("Copies (first {n} of {total})", { n: copies.items.length, total: copies.total })
    : t("Copies");
  const columns = [staff ? t("Barcode") : t("Copy no."), t("Status"), t("Shelf"), t("Due back"), ...(staff ? [t("Action")] : [])];
  r.head.replaceChildren(...columns.map((name) => el("th", { scope: "col", text: name })));
  r.body.replaceChildren(...copies.items.map((copy, index) => {
    const cells = [
      el("th", { scope: "row", className: staff ? "mono" : "", text: staff ? copy.barcode : String(index + 1) }),
      el("td", {}, el("span", { className: `copy-status is-${copy.status}`, text: copyStatusLabel(copy.status) })),
      el("td", {}, copy.location || (copy.call_number ? "" : "—"),
        copy.call_number ? el("span", { className: "call-number mono", text: copy.call_number }) : ""),
      el("td", { text: copy.due_at ? formatDate(copy.due_at) : "—" }),
    ];
    cells.forEach((cell, n) => { cell.dataset.label = columns[n]; });
    if (staff) {
      const edit = el("button", { type: "button", className: "button secondary small", text: t("Edit"),
        "aria-label": t("Edit copy {barcode}", { barcode: copy.barcode }) });
      edit.addEventListener("click", () => editCopy(page, copy, edit));
      cells.push(el("td", { dataset: { label: t("Action") } }, edit));
    }
    return el("tr", { dataset: { copyId: String(copy.id) } }, ...cells);
  }));
  return node;
}

const STATUS_ACTIONS = {
  withdrawn: {
    label: () => t("Withdraw…"),
    confirm: (copy) => ({ title: t("Withdraw copy {barcode}?", { barcode: copy.barcode }), confirmLabel: t("Withdraw"),
      text: t("It leaves circulation and no longer counts as a copy. To undo, edit it again and make it available.") }),
    done: (copy) => t("Withdrew copy {barcode}. To undo, edit it and make it available.", { barcode: copy.barcode }),
  },
  lost: {
    label: () => t("Mark lost…"),
    confirm: (copy) => ({ title: t("Mark copy {barcode} lost?", { barcode: copy.barcode }), confirmLabel: t("Mark lost"),
      text: t("It cannot be lent until it turns up. To undo, edit it and make it available.") }),
    done: (copy) => t("Marked copy {barcode} lost. When it turns up, edit it and make it available.", { barcode: copy.barcode }),
  },
  available: {
    label: () => t("Make available"),
    done: (copy) => t("Copy {barcode} is available again (on the pull list if someone waits for the book).", { barcode: copy.barcode }),
  },
  delete: {
    label: () => t("Delete…"),
    danger: true,
    confirm: (copy) => ({ title: t("Delete copy {barcode}?", { barcode: copy.barcode }), confirmLabel: t("Delete copy"),
      text: t("It was never lent nor held, so nothing is lost with it. This cannot be undone.") }),
    done: (copy) => t("Deleted copy {barcode}.", { barcode: copy.barcode }),
  },
};

/** The copy's Edit dialog: shelf, call number and notes; below, what its status allows (each asks first). */
function editCopy(page, copy, opener) {
  const { ctx, view } = page;
  const dialog = clone("tpl-copy-dialog");
  const r = refs(dialog);
  r.title.textContent = t("Copy {barcode}", { barcode: copy.barcode });
  r.sub.textContent = `${page.book.title} · ${copyStatusLabel(copy.status)}`;
  for (const name of EDIT_FIELDS) r.form.elements[name].value = copy[name] ?? "";
  const actions = copyActions(copy);
  r["status-hint"].textContent = actions.length ? "" : t("It is on loan or on the hold shelf: check it in at the desk first.");
  r["status-actions"].replaceChildren(...actions.map((action) => {
    const spec = STATUS_ACTIONS[action];
    const button = el("button", { type: "button", className: `button small ${spec.danger ? "danger" : "secondary"}`, text: spec.label() });
    button.addEventListener("click", () => {
      dialog.returnValue = `status:${action}`;
      dialog.close();
    });
    return button;
  }));
  view.append(dialog);
  const finish = () => {
    dialog.remove();
    if (opener.isConnected) opener.focus();
  };
  r.form.addEventListener("submit", async (event) => {
    const choice = event.submitter?.value;
    if (choice !== "save") return; // Cancel closes the dialog
    event.preventDefault();
    const body = {};
    for (const name of EDIT_FIELDS) {
      const value = r.form.elements[name].value.trim() || null;
      if (value !== (copy[name] ?? null)) body[name] = value;
    }
    if (!Object.keys(body).length) {
      dialog.close();
      say(page, t("Nothing was changed."));
      return;
    }
    r.save.disabled = true;
    try {
      await updateCopy(copy.id, body);
    } catch (error) {
      r.save.disabled = false;
      if (ctx.signal.aborted || error.status === 401) return;
      showFieldErrors(r.form, r.summary, groupErrors(error.errors, EDIT_FIELDS), {
        order: EDIT_FIELDS, fallback: error.detail || error.title,
        heading: () => t("The copy was not saved: {title}", { title: error.title }),
      });
      return;
    }
    dialog.returnValue = "saved";
    dialog.close();
  });
  dialog.addEventListener("close", async () => {
    const value = dialog.returnValue;
    finish();
    if (value === "saved") {
      say(page, t("Saved copy {barcode}.", { barcode: copy.barcode }));
      await afterCopyChange(page, copy);
    } else if (value.startsWith("status:")) {
      await changeStatus(page, copy, value.slice(7), opener);
    }
  }, { once: true });
  dialog.showModal();
}

async function changeStatus(page, copy, action, opener) {
  const { ctx, view } = page;
  const spec = STATUS_ACTIONS[action];
  if (spec.confirm) {
    const ok = await confirmDialog(view, { ...spec.confirm(copy), opener });
    if (!ok) return;
  }
  view.querySelector(".copy-problem")?.remove();
  try {
    if (action === "delete") await deleteCopy(copy.id);
    else await updateCopy(copy.id, { status: action });
  } catch (error) {
    if (ctx.signal.aborted || error.status === 401) return;
    const problem = inlineProblem(t("Could not change copy {barcode}", { barcode: copy.barcode }), error);
    problem.classList.add("copy-problem");
    refs(view).copies.after(problem);
    if (opener.isConnected) opener.focus();
    return;
  }
  say(page, spec.done(copy));
  await afterCopyChange(page, copy);
}

function say(page, message) {
  refs(page.view)["copies-status"].textContent = message;
}

/** Reload the copies and the availability; continue from the same copy's row (or the table). */
async function afterCopyChange(page, copy) {
  const r = refs(page.view);
  await Promise.all([loadCopies(page), refreshAvailability(page)]);
  const row = r.copies.querySelector(`tr[data-copy-id="${copy.id}"]`);
  (row?.querySelector("button") ?? r.copies.querySelector(".table-scroll") ?? r["copies-status"])?.focus();
}

function setUpAddCopy(page) {
  const { ctx, view, book } = page;
  const section = refs(view);
  const details = section["add-copy"];
  details.hidden = false;
  const form = section["copy-form"];
  section["next-barcode"].addEventListener("click", async () => {
    const button = section["next-barcode"];
    button.disabled = true;
    try {
      form.elements.barcode.value = (await reserveBarcode("copy")).barcode;
      section["copies-status"].textContent = t("Barcode {barcode} is yours: no one else gets it.", { barcode: form.elements.barcode.value });
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      section["copies-status"].textContent = t("Could not get the next barcode: {detail}", { detail: error.detail || error.title });
    } finally {
      button.disabled = false;
      form.elements.barcode.focus();
    }
  });
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
      form.elements.barcode.value = ""; // the shelf and call number stay for the next copy
      form.elements.notes.value = "";
      section["copies-status"].textContent = t("Added copy {barcode}.", { barcode: copy.barcode });
      await Promise.all([loadCopies(page), refreshAvailability(page)]);
      form.elements.barcode.focus(); // ready for the next copy
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      const grouped = groupErrors(error.errors, COPY_FIELDS);
      if (error.status === 409 && !grouped.fields.barcode) grouped.fields.barcode = [error.detail || t("This barcode is in use.")];
      showFieldErrors(form, section.summary, grouped, {
        order: COPY_FIELDS,
        fallback: error.detail || error.title,
        heading: (count) => (error.status === 422 || error.status === 409
          ? tn(count, "There is a problem with this copy", "There are {count} problems with this copy")
          : t("The copy was not added: {title}", { title: error.title })),
      });
    } finally {
      form.removeAttribute("aria-busy");
      section["copy-submit"].disabled = false;
    }
  });
}

/**
 * "Place hold" for a signed-in user with a library card, or their open hold on this book; for a visitor, a
 * link to log in that comes back to this book. The card is known from /auth/me, so nobody without one asks for it.
 */
async function setUpHold(page) {
  const { ctx, view, book } = page;
  const r = refs(view);
  if (!currentUser()) {
    r["hold-login"].href = loginHash(ctx.hash);
    r["hold-login-note"].hidden = false;
    return;
  }
  const card = currentCard();
  if (!card) return;
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
      r["hold-problem"].replaceChildren(inlineProblem(t("Could not place a hold"), error));
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
    ...(placed ? [el("strong", { text: placed }), " "] : [el("strong", { text: t("You have a hold on this book: ") }), holdStatusText(hold), ". "]),
    el("a", { href: "#/me", text: t("See your loans and holds") }),
  );
  r["hold-mine"].hidden = false;
}
