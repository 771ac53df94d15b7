// Staff on an author's page: rename the author (and their sort name), and merge another author into this one
// (a duplicate such as "J.R.R. Tolkein": their books move here and the duplicate is deleted, after a confirmation).

import { updateAuthor, mergeAuthors, listAuthors } from "../api.js";
import { el, confirmDialog, inlineProblem, isAbort } from "../dom.js";
import { showFieldErrors, clearFieldErrors } from "../fielderrors.js";
import { groupErrors } from "../bookform.js";
import { tn, t } from "../i18n.js";

/**
 * The two panels for `author`; `changed(author, message)` is called after a rename or a merge with the author
 * as the server now has it.
 */
export function authorTools(ctx, author, changed) {
  const status = el("p", { className: "notice", role: "status", tabindex: "-1" });
  const tools = el("div", { className: "author-tools" }, status, renamePanel(ctx, author, status, changed),
    mergePanel(ctx, author, status, changed));
  return tools;
}

function renamePanel(ctx, author, status, changed) {
  const name = el("input", { id: "author-name", name: "name", autocomplete: "off", maxlength: "300", value: author.name });
  const sortName = el("input", { id: "author-sort_name", name: "sort_name", autocomplete: "off", maxlength: "300",
    value: author.sort_name, "aria-describedby": "author-sort-hint" });
  const summary = el("div", { className: "error-summary", tabindex: "-1", hidden: true },
    el("h3", { dataset: { ref: "summary-title" }, text: t("There is a problem") }), el("ul", { dataset: { ref: "summary-list" } }));
  const save = el("button", { type: "submit", className: "button", text: t("Save the name") });
  const form = el("form", { className: "stack-form", novalidate: true }, summary,
    el("div", { className: "field" }, el("label", { for: "author-name", text: t("Name") }), name),
    el("div", { className: "field" }, el("label", { for: "author-sort_name", text: t("Sorted as") }),
      el("p", { className: "hint", id: "author-sort-hint", text: t("Last name first, as lists sort it; left as it is, it follows the new name.") }), sortName),
    el("div", { className: "actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    if (name.value.trim() !== author.name) body.name = name.value;
    if (sortName.value.trim() !== author.sort_name) body.sort_name = sortName.value;
    if (!Object.keys(body).length) {
      status.textContent = t("Nothing was changed.");
      return;
    }
    save.disabled = true;
    try {
      const saved = await updateAuthor(author.id, body);
      clearFieldErrors(form, summary);
      Object.assign(author, saved);
      name.value = saved.name;
      sortName.value = saved.sort_name;
      changed(saved, t("Renamed to {name}. The books show the new name.", { name: saved.name }));
      status.focus();
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      const grouped = groupErrors(error.errors, ["name", "sort_name"]);
      // A 409 with a name error is another author's name; a 409 without one is a save that met a concurrent
      // change or delete (reload and try again), shown under the plain heading.
      const nameTaken = error.status === 409 && Boolean(grouped.fields.name);
      showFieldErrors(form, summary, grouped, {
        order: ["name", "sort_name"], fallback: error.detail || error.title,
        heading: () => (nameTaken ? t("Another author has this name: merge them below instead") : t("The name was not saved")),
      });
    } finally {
      save.disabled = false;
    }
  });
  return el("details", { className: "panel author-panel" }, el("summary", { text: t("Rename") }), form);
}

function mergePanel(ctx, author, status, changed) {
  const search = el("input", { id: "merge-q", name: "q", type: "search", autocomplete: "off", maxlength: "200",
    "aria-describedby": "merge-hint" });
  const results = el("div", { className: "merge-results" });
  const form = el("form", { role: "search", "aria-label": t("Find the author to merge") },
    el("p", { className: "hint", id: "merge-hint", text: t("Find the duplicate: its books move to {name}, and it is deleted.", { name: author.name }) }),
    el("div", { className: "field" }, el("label", { for: "merge-q", text: t("Author to merge into this one") }),
      el("div", { className: "input-group" }, search, el("button", { type: "submit", className: "button secondary", text: t("Find") }))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = search.value.trim();
    if (!q) return;
    results.replaceChildren();
    try {
      const found = (await listAuthors({ q, per_page: 20 }, { signal: ctx.signal })).items.filter((a) => a.id !== author.id);
      results.replaceChildren(found.length
        ? el("ul", { className: "merge-list" }, ...found.map((other) => mergeItem(ctx, author, other, status, changed, results)))
        : el("p", { text: t("No other author matches “{q}”.", { q }) }));
    } catch (error) {
      if (isAbort(error) || ctx.signal.aborted || error.status === 401) return;
      results.replaceChildren(inlineProblem(t("Could not search the authors"), error));
    }
  });
  return el("details", { className: "panel author-panel" }, el("summary", { text: t("Merge another author into this one") }), form, results);
}

function mergeItem(ctx, author, other, status, changed, results) {
  const button = el("button", { type: "button", className: "button secondary small", text: t("Merge into {name}", { name: author.name }),
    "aria-label": t("Merge {other} into {name}", { other: other.name, name: author.name }) });
  button.addEventListener("click", async () => {
    const ok = await confirmDialog(results, {
      title: t("Merge {other} into {name}?", { other: other.name, name: author.name }),
      text: `${tn(other.book_count, "{count} book moves", "{count} books move", { })} ${t("from {other} to {name}, and {other} is deleted. This cannot be undone.", { other: other.name, name: author.name })}`,
      confirmLabel: t("Merge"),
      opener: button,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      const survivor = await mergeAuthors(author.id, other.id);
      results.replaceChildren();
      changed(survivor, t("Merged {other} into {name}: {books}.", { other: other.name, name: survivor.name,
        books: tn(other.book_count, "{count} book moved", "{count} books moved") }));
      status.focus();
    } catch (error) {
      button.disabled = false;
      if (ctx.signal.aborted || error.status === 401) return;
      results.prepend(inlineProblem(t("Could not merge"), error));
      button.focus();
    }
  });
  return el("li", {}, el("span", {}, el("a", { href: `#/authors/${other.id}`, text: other.name }), " ",
    el("span", { className: "subtle", text: tn(other.book_count, "({count} book)", "({count} books)") })), " ", button);
}
