// #/books — the catalog: search, filters, sort and a page of results. The whole state is in the
// hash; the controls only ever change the hash, and render() draws whatever the hash says.

import { listBooks, listSubjects } from "../api.js";
import { clone, refs, el, showLoading, showProblem, showEmpty, isAbort, focusLost } from "../dom.js";
import { languageOptions } from "../languages.js";
import { SORT_OPTIONS, pageInfo, listState, listApiParams, listHash, isFiltered, resultsSummary } from "../query.js";
import { rememberListHash } from "../state.js";
import { currentUser, canEditCatalog } from "../session.js";
import { renderBooks, renderPager } from "./results.js";

const states = new WeakMap(); // view element -> the list state it currently shows
let subjectsRequest = null; // GET /subjects once per page load; subjects change rarely

/** Draw the catalog for ctx.query, reusing the mounted controls when only the query changed. */
export async function render(ctx) {
  const state = listState(ctx.query);
  let view = ctx.root.querySelector(':scope > [data-view="books"]');
  if (!view) {
    view = mount(ctx);
    ctx.root.replaceChildren(view);
  }
  states.set(view, state);
  rememberListHash(listHash(state));
  syncControls(view, state);
  fillSubjects(view, state);
  ctx.ready();
  await loadResults(ctx, view, state);
}

function mount(ctx) {
  const view = clone("tpl-books");
  const r = refs(view);
  r.sort.append(...SORT_OPTIONS.map((o) => new Option(o.label, o.value)));
  r.language.append(...languageOptions("en").map((o) => new Option(o.name, o.code)));

  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(r.form);
    const changes = {};
    for (const key of ["q", "subject", "language", "sort", "year_from", "year_to"]) {
      changes[key] = String(data.get(key) ?? "").trim();
    }
    changes.available = r.form.elements.available.checked;
    ctx.navigate(listHash(states.get(view), changes));
  });
  // Selects and the checkbox apply at once; text inputs apply on Enter or the Search/Apply buttons.
  for (const control of r.form.querySelectorAll("select, input[type=checkbox]")) {
    control.addEventListener("change", () => r.form.requestSubmit());
  }
  return view;
}

function syncControls(view, state) {
  const form = refs(view).form;
  form.elements.q.value = state.q;
  form.elements.year_from.value = state.year_from ?? "";
  form.elements.year_to.value = state.year_to ?? "";
  form.elements.sort.value = state.sort;
  form.elements.available.checked = state.available;
  ensureOption(form.elements.language, state.language);
  form.elements.language.value = state.language;
  ensureOption(form.elements.subject, state.subject);
  form.elements.subject.value = state.subject;
  refs(view).clear.hidden = !isFiltered(state) && state.sort === "title";
}

/** Make sure a select can show `value` even before (or without) its option list loading. */
function ensureOption(select, value, label = value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.append(new Option(label, value));
}

async function fillSubjects(view, state) {
  const select = refs(view).subject;
  if (select.dataset.loaded) return;
  select.dataset.loaded = "pending";
  subjectsRequest ??= listSubjects({ per_page: 100, page: 1 }).catch((error) => {
    subjectsRequest = null; // try again on the next render
    throw error;
  });
  try {
    const page = await subjectsRequest;
    const current = states.get(view)?.subject ?? state.subject;
    const options = page.items.map((s) => new Option(`${s.name} (${s.book_count})`, s.name));
    select.replaceChildren(new Option("All subjects", ""), ...options);
    ensureOption(select, current);
    select.value = current;
    select.dataset.loaded = "yes";
  } catch {
    // The filter still works for the subject in the URL; the list of others is a convenience.
    delete select.dataset.loaded;
  }
}

async function loadResults(ctx, view, state, { retry = false } = {}) {
  const r = refs(view);
  if (r.results.querySelector(".book-list")) {
    r.results.setAttribute("aria-busy", "true");
    r.results.classList.add("is-stale");
  } else {
    showLoading(r.results, "Loading books…");
  }
  try {
    const envelope = await listBooks(listApiParams(state), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    r.results.classList.remove("is-stale");
    const info = renderBooksOrEmpty(r.results, envelope, state);
    const summary = resultsSummary(info);
    r.summary.textContent = summary;
    renderPager(r.pager, info, (page) => listHash(state, { page }));
    if (ctx.sameView) ctx.announce(`${summary}${info.pages > 1 ? `, page ${info.page} of ${info.pages}` : ""}.`);
    // Following a pager link replaces it, which drops focus to <body>: continue from the heading.
    if ((ctx.sameView || retry) && focusLost()) r.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r.results.classList.remove("is-stale");
    r.summary.textContent = "Could not load books";
    r.pager.replaceChildren();
    showProblem(r.results, error, () => loadResults(ctx, view, state, { retry: true }));
    ctx.announce(`Could not load books. ${error.detail || error.title || ""}`);
  }
}

function renderBooksOrEmpty(container, envelope, state) {
  if (envelope.items.length > 0) return renderBooks(container, envelope);
  const info = pageInfo(envelope);
  if (envelope.total > 0) {
    showEmpty(container, "This page is past the end of the results.", "", el("a", { href: listHash(state, { page: 1 }), text: "Go to the first page" }));
  } else if (isFiltered(state)) {
    const now = state.available ? " Some may be out on loan: try without “Available now”." : "";
    const what = (state.q ? `Nothing in the catalog matches “${state.q}” with these filters.` : "Nothing in the catalog matches these filters.") + now;
    showEmpty(container, "No books found.", what, el("a", { href: "#/books", text: "Clear search and filters" }));
  } else {
    const add = canEditCatalog(currentUser()?.role) ? el("a", { href: "#/books/new", text: "Add the first book" }) : null;
    showEmpty(container, "The catalog is empty.", add ? "Books you add will be listed here." : "", add);
  }
  return info;
}
