// A page of books with its pager, shared by the catalog and author views.

import { clone, refs, el, doneLoading } from "../dom.js";
import { authorLine } from "../format.js";
import { coverUrl } from "../covers.js";
import { availabilitySummary } from "../circulation.js";
import { languageName } from "../languages.js";
import { pageInfo } from "../query.js";
import { highlightSegments } from "../search.js";

/** Text as text nodes, with the parts the search terms matched in <mark> elements (never HTML). */
export function highlightNodes(text, terms = []) {
  return highlightSegments(text, terms).map((s) => (s.match ? el("mark", { text: s.text }) : document.createTextNode(s.text)));
}

/** Replace node's content with highlightNodes(text, terms). */
export function fillHighlighted(node, text, terms = []) {
  node.replaceChildren(...highlightNodes(text, terms));
}

/** One list item for a Book; `terms` (search.js searchTerms) are marked in its title, subtitle, authors and publisher. */
export function bookItem(book, terms = []) {
  const node = clone("tpl-book-item");
  const r = refs(node);
  r.link.href = `#/books/${book.id}`;
  const thumb = coverUrl(book, "list");
  if (thumb) {
    r.thumb.addEventListener("error", () => { r.thumb.hidden = true; }, { once: true });
    r.thumb.src = thumb;
    r.thumb.hidden = false;
  }
  fillHighlighted(r.link, book.title, terms);
  fillHighlighted(r.subtitle, book.subtitle ?? "", terms);
  r.subtitle.hidden = !book.subtitle;
  const authors = authorLine(book.authors);
  fillHighlighted(r.authors, authors, terms);
  if (authors) r.authors.prepend("by ");
  r.authors.hidden = !authors;
  const meta = [book.published_year, languageName(book.language)].filter((v) => v !== null && v !== undefined && v !== "");
  r.meta.replaceChildren(meta.join(" · "));
  if (book.publisher) {
    if (meta.length) r.meta.append(" · ");
    r.meta.append(...highlightNodes(book.publisher, terms));
  }
  r.meta.hidden = !meta.length && !book.publisher;
  const availability = availabilitySummary(book.availability);
  if (availability) {
    r.availability.hidden = false;
    r.availability.classList.add(`is-${availability.kind}`);
    r["availability-icon"].textContent = availability.kind === "available" ? "✓" : "✗";
    r["availability-text"].textContent = availability.text;
  }
  return node;
}

/**
 * Fill `list` with the page's books (an <ol> whose numbering continues across pages). `info` is the
 * pageInfo() to number them by (from the envelope when not given); `terms` are marked in each book.
 */
export function renderBooks(container, envelope, { info = pageInfo(envelope), terms = [] } = {}) {
  const list = clone("tpl-book-list");
  list.start = info.first || 1;
  list.append(...envelope.items.map((book) => bookItem(book, terms)));
  container.replaceChildren(list);
  doneLoading(container);
  return info;
}

/**
 * Render prev/next links and "Page X of Y"; nothing when there is neither. The links go to
 * hrefFor(page) for info.prev/info.next, or are given as `links` ({ prev, next }: hrefs or null).
 * With `estimate` the page count reads "about".
 */
export function renderPager(container, info, hrefFor, { links = null, estimate = false } = {}) {
  const prev = links ? links.prev : info.prev ? hrefFor(info.prev) : null;
  const next = links ? links.next : info.next ? hrefFor(info.next) : null;
  if (!prev && !next) {
    container.replaceChildren();
    return;
  }
  const node = clone("tpl-pager");
  const r = refs(node);
  r.status.textContent = `Page ${info.page.toLocaleString("en")} of ${estimate ? "about " : ""}${info.pages.toLocaleString("en")}`;
  for (const [link, href] of [
    [r.prev, prev],
    [r.next, next],
  ]) {
    if (href) {
      link.href = href;
    } else {
      link.removeAttribute("rel");
      link.setAttribute("aria-disabled", "true");
      link.classList.add("is-disabled");
    }
  }
  container.replaceChildren(node);
}
