// A page of books with its pager, shared by the catalog and author views.

import { clone, refs, setText, doneLoading } from "../dom.js";
import { authorLine } from "../format.js";
import { availabilitySummary } from "../circulation.js";
import { languageName } from "../languages.js";
import { pageInfo } from "../query.js";

/** One list item for a Book. */
export function bookItem(book) {
  const node = clone("tpl-book-item");
  const r = refs(node);
  r.link.href = `#/books/${book.id}`;
  r.link.textContent = book.title;
  setText(r.subtitle, book.subtitle);
  const authors = authorLine(book.authors);
  setText(r.authors, authors ? `by ${authors}` : "");
  const meta = [book.published_year, languageName(book.language), book.publisher].filter(
    (v) => v !== null && v !== undefined && v !== "",
  );
  setText(r.meta, meta.join(" · "));
  const availability = availabilitySummary(book.availability);
  if (availability) {
    r.availability.hidden = false;
    r.availability.classList.add(`is-${availability.kind}`);
    r["availability-icon"].textContent = availability.kind === "available" ? "✓" : "✗";
    r["availability-text"].textContent = availability.text;
  }
  return node;
}

/** Fill `list` with the page's books (an <ol> whose numbering continues across pages). */
export function renderBooks(container, envelope) {
  const info = pageInfo(envelope);
  const list = clone("tpl-book-list");
  list.start = info.first || 1;
  list.append(...envelope.items.map(bookItem));
  container.replaceChildren(list);
  doneLoading(container);
  return info;
}

/** Render prev/next links and "Page X of Y"; nothing when everything fits on one page. */
export function renderPager(container, info, hrefFor) {
  if (info.pages <= 1 && info.page <= 1) {
    container.replaceChildren();
    return;
  }
  const node = clone("tpl-pager");
  const r = refs(node);
  r.status.textContent = `Page ${info.page.toLocaleString("en")} of ${info.pages.toLocaleString("en")}`;
  for (const [link, page] of [
    [r.prev, info.prev],
    [r.next, info.next],
  ]) {
    if (page) {
      link.href = hrefFor(page);
    } else {
      link.removeAttribute("rel");
      link.setAttribute("aria-disabled", "true");
      link.classList.add("is-disabled");
    }
  }
  container.replaceChildren(node);
}
