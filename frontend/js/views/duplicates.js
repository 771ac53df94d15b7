// #/duplicates?page=2 — likely duplicate books (staff): each group shows its books side by side; the librarian
// picks the record to keep (the server's suggestion is preselected) and merges the others into it, after a
// confirmation. The markup is built here (no template in index.html), so the view's words are all in this file.

import { listDuplicates, mergeBooks } from "../api.js";
import { el, showLoading, showProblem, showEmpty, confirmDialog, inlineProblem, isAbort } from "../dom.js";
import { authorLine, fullTitle } from "../format.js";
import { coverUrl } from "../covers.js";
import { pageInfo } from "../query.js";
import { buildHash } from "../router.js";
import { t, tn } from "../i18n.js";
import { renderPager } from "./results.js";

const PER_PAGE = 10;

export async function render(ctx) {
  const page = Math.max(1, Number.parseInt(ctx.query.page ?? "1", 10) || 1);
  const list = el("div", { className: "duplicate-groups" });
  const pager = el("div");
  const view = el("section", { className: "view view-duplicates", dataset: { view: "duplicates" } },
    el("div", { className: "page-head" },
      el("h1", { tabindex: "-1", text: t("Likely duplicates") }),
      el("p", { className: "lede", text: t("Books that seem to be one and the same: a shared ISBN, or the same title and first author. Choose the record to keep and merge the others into it: their copies, loans, holds and ISBNs move to it, and their old links lead to it.") })),
    list, pager);
  ctx.root.replaceChildren(view);
  ctx.ready();
  await load(ctx, view, list, pager, page);
}

async function load(ctx, view, list, pager, page) {
  showLoading(list, t("Looking for duplicates…"));
  let envelope;
  try {
    envelope = await listDuplicates({ page, per_page: PER_PAGE }, { signal: ctx.signal });
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    showProblem(list, error, () => load(ctx, view, list, pager, page));
    return;
  }
  if (ctx.signal.aborted) return;
  if (envelope.items.length === 0) {
    showEmpty(list, page > 1 ? t("No more groups on this page.") : t("No likely duplicates: the catalog looks tidy."),
      page > 1 ? "" : t("Books that share an ISBN, or a title and first author, show up here."));
  } else {
    const first = (page - 1) * PER_PAGE;
    list.replaceChildren(
      el("p", { className: "results-count", text: tn(envelope.total, "{count} group of likely duplicates", "{count} groups of likely duplicates") }),
      ...envelope.items.map((group, index) => groupCard(ctx, view, group, first + index + 1)));
    list.removeAttribute("aria-busy");
  }
  renderPager(pager, pageInfo(envelope), (number) => buildHash("/duplicates", { page: number }, { page: 1 }));
}

function reasonText(group) {
  const parts = [];
  if (group.reasons.includes("isbn")) {
    parts.push(tn(group.isbns.length, "the same ISBN ({isbns})", "the same ISBNs ({isbns})", { isbns: group.isbns.join(", ") }));
  }
  if (group.reasons.includes("title_author")) parts.push(t("the same title and first author"));
  return t("{percent}% alike: {reasons}.", { percent: Math.round(group.score * 100), reasons: parts.join(t(" and ")) });
}

function bookChoice(group, book, index, number) {
  const id = `dup-${number}-${book.id}`;
  const radio = el("input", { type: "radio", name: `keep-${number}`, id, value: String(book.id) });
  radio.checked = book.id === group.suggested_id;
  const facts = [
    book.published_year ? String(book.published_year) : null,
    book.publisher,
    book.isbn_formatted ? t("ISBN {isbn}", { isbn: book.isbn_formatted }) : t("no ISBN"),
    tn(book.availability?.total ?? 0, "{count} copy", "{count} copies"),
  ].filter(Boolean).join(" · ");
  const thumb = coverUrl(book, "list");
  return el("li", { className: "duplicate-book" },
    el("div", { className: "book-item-cover", "aria-hidden": "true" },
      thumb ? el("img", { src: thumb, alt: "", width: "60", height: "90", loading: "lazy", decoding: "async" }) : null),
    el("div", { className: "duplicate-choice" },
      radio,
      el("label", { for: id },
        el("span", { className: "duplicate-title", text: fullTitle(book) }),
        el("span", { className: "duplicate-meta", text: [authorLine(book.authors), facts].filter(Boolean).join(" — ") }),
        book.id === group.suggested_id ? el("span", { className: "badge", text: t("suggested") }) : null)),
    el("a", { href: `#/books/${book.id}`, className: "duplicate-open", text: t("Open book {number}", { number: index + 1 }),
      "aria-label": t("Open “{title}” (book {id})", { title: book.title, id: book.id }) }));
}

function groupCard(ctx, view, group, number) {
  const headingId = `dup-heading-${number}`;
  const problem = el("div");
  const button = el("button", { type: "submit", className: "button",
    text: tn(group.books.length - 1, "Merge {count} book into the chosen one", "Merge {count} books into the chosen one") });
  const form = el("form", { className: "duplicate-form" },
    el("fieldset", {},
      el("legend", { text: t("Keep this record") }),
      el("ul", { className: "duplicate-books" }, ...group.books.map((book, index) => bookChoice(group, book, index, number)))),
    el("div", { className: "actions" }, button), problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const keepId = Number(new FormData(form).get(`keep-${number}`));
    const keep = group.books.find((book) => book.id === keepId);
    const others = group.books.filter((book) => book.id !== keepId);
    const confirmed = await confirmDialog(view, {
      title: t("Merge these books?"),
      text: t("{others} will be merged into “{keep}”. Their copies, loans, holds and ISBNs move to it, empty fields are filled from them, and they are deleted: their links lead to “{keep}” from now on. This cannot be undone.", {
        others: others.map((book) => `“${book.title}” (${book.id})`).join(", "), keep: keep.title }),
      confirmLabel: t("Merge books"),
      opener: button,
    });
    if (!confirmed) return;
    button.disabled = true;
    problem.replaceChildren();
    try {
      const survivor = await mergeBooks(keepId, others.map((book) => book.id));
      ctx.navigate(ctx.hash, { force: true, message: tn(others.length,
        "Merged {count} book into “{title}” (book {id}); its old link leads there now.",
        "Merged {count} books into “{title}” (book {id}); their old links lead there now.",
        { title: survivor.title, id: survivor.id }) });
    } catch (error) {
      if (ctx.signal.aborted || error.status === 401) return;
      button.disabled = false;
      problem.replaceChildren(inlineProblem(t("The books were not merged"), error));
      button.focus();
    }
  });
  return el("article", { className: "card duplicate-group", "aria-labelledby": headingId },
    el("h2", { id: headingId, className: "card-title", text: t("{number}. {title}", { number, title: group.books[0].title }) }),
    el("p", { className: "duplicate-reason", text: reasonText(group) }),
    form);
}
