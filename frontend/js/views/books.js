// #/books — the catalog: search as you type, filters, facets, sort and a page of results. The whole
// state is in the hash (q, filters, sort, page and cursor); the controls only ever change the hash,
// and render() draws whatever the hash says. Each change of the hash aborts the request of the one
// before (main.js), so only the newest answer is drawn; until it comes the old results stay, dimmed
// and marked aria-busy.

import { listBooks, listLanguages, listSubjects } from "../api.js";
import { clone, refs, el, showLoading, showProblem, showEmpty, isAbort, focusLost } from "../dom.js";
import { t, tn } from "../i18n.js";
import { catalogLanguageOptions, languageName } from "../languages.js";
import { SORT_OPTIONS, pageInfo, pagerLinks, listState, listApiParams, listHash, isFiltered, resultsSummary } from "../query.js";
import {
  FACETS, FACET_TITLES, activeFilters, findAuthorName, hasWords, isFacetActive, panelFilterCount, searchTerms, toggleFacet,
} from "../search.js";
import { parseHash } from "../router.js";
import { rememberListHash } from "../state.js";
import { currentUser, canEditCatalog } from "../session.js";
import { renderBooks, renderPager } from "./results.js";
import { renderExportMenu } from "./exportmenu.js";

/** How long typing pauses before the list follows the search box. */
export const TYPING_DELAY_MS = 200;
/** From this width up the facets start unfolded; on a phone they are one tap away, below the filters. */
const WIDE = "(min-width: 48rem)";

const states = new WeakMap(); // view element -> the list state it currently shows
const typing = new WeakMap(); // view element -> { timer, hash }: the search box's pending and last typed search
const chipChanges = new WeakMap(); // facet or filter chip button -> the list-state changes a click on it makes
// GET /subjects and GET /languages once per page load (they change rarely): the filters' option lists.
const optionLists = {
  subject: {
    load: () => listSubjects({ per_page: 100, page: 1 }).then((page) => page.items),
    options: (items) => items.map((s) => new Option(`${s.name} (${s.book_count})`, s.name)),
    all: () => t("All subjects"),
    label: (value) => value,
  },
  language: {
    load: () => allPages((page) => listLanguages({ per_page: 100, page })),
    options: (items) => catalogLanguageOptions(items, "en").map((o) => new Option(o.label, o.code)),
    all: () => t("All languages"),
    label: (code) => languageName(code),
  },
};
const optionRequests = {};

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
  fillOptions(view, "subject");
  fillOptions(view, "language");
  renderExportMenu(view, refs(view).form, listApiParams(state), isFiltered(state));
  ctx.ready();
  await loadResults(ctx, view, state);
}

function mount(ctx) {
  const view = clone("tpl-books");
  const r = refs(view);
  r.sort.append(...SORT_OPTIONS.map((o) => new Option(o.label, o.value)));
  r["facets-box"].open = typeof matchMedia === "function" && matchMedia(WIDE).matches;
  r["filters-toggle"].addEventListener("click", () => {
    const open = r["filters-toggle"].getAttribute("aria-expanded") !== "true";
    r["filters-toggle"].setAttribute("aria-expanded", String(open));
    r["filters-panel"].classList.toggle("is-open", open);
  });
  const pending = { timer: null, hash: null };
  typing.set(view, pending);

  r.form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(pending.timer);
    pending.timer = null;
    const data = new FormData(r.form);
    const changes = {};
    for (const key of ["q", "subject", "language", "sort", "year_from", "year_to"]) {
      changes[key] = String(data.get(key) ?? "").trim();
    }
    changes.available = r.form.elements.available.checked;
    const state = states.get(view);
    // A new q gets the sort that suits it (relevance for words) unless another one was chosen.
    if (changes.q !== state.q && changes.sort === state.sort && !("sort" in currentQuery())) changes.sort = undefined;
    ctx.navigate(listHash(state, changes));
  });
  // Selects and the checkbox apply at once; the years on Enter or "Apply filters".
  for (const control of r.form.querySelectorAll("select, input[type=checkbox]")) {
    control.addEventListener("change", () => r.form.requestSubmit());
  }

  // Search as you type: the list follows the box once typing pauses. The first search of a burst of
  // typing is a new history entry, the ones after it replace it, so Back goes to before the typing.
  const input = r.form.elements.q;
  const follow = () => {
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      pending.timer = null;
      if (!view.isConnected) return; // the user went on to another page meanwhile
      const state = states.get(view);
      const q = input.value.trim();
      if (q === state.q) return;
      const changes = { q };
      if (!("sort" in currentQuery())) changes.sort = undefined; // the default sort for the new q
      const hash = listHash(state, changes);
      const replace = pending.hash !== null && location.hash === pending.hash;
      pending.hash = hash;
      ctx.navigate(hash, { replace });
    }, TYPING_DELAY_MS);
  };
  input.addEventListener("input", (event) => {
    if (!event.isComposing) follow();
  });
  input.addEventListener("compositionend", follow);

  // Facet values and active-filter chips are buttons that change the hash.
  view.addEventListener("click", (event) => {
    const chip = event.target.closest("button[data-chip]");
    if (!chip || !view.contains(chip)) return;
    const changes = chipChanges.get(chip);
    if (changes) ctx.navigate(listHash(states.get(view), changes));
  });
  return view;
}

/** The parsed query of the page being shown (to tell an explicit ?sort= from the default one). */
function currentQuery() {
  return parseHash(location.hash).query;
}

function syncControls(view, state) {
  const form = refs(view).form;
  const input = form.elements.q;
  // Never overwrite what is being typed: while the box has focus and a search is pending (or the box
  // already says this q), leave it; otherwise (a link, Back, a shared URL) show the state's q.
  const pending = typing.get(view);
  const typingNow = document.activeElement === input && (pending?.timer !== null || input.value.trim() === state.q);
  if (!typingNow) input.value = state.q;
  form.elements.year_from.value = state.year_from ?? "";
  form.elements.year_to.value = state.year_to ?? "";
  const relevance = [...form.elements.sort.options].find((o) => o.value === "relevance");
  if (relevance) relevance.disabled = !hasWords(state.q);
  form.elements.sort.value = state.sort;
  form.elements.available.checked = state.available;
  ensureOption(form.elements.language, state.language, languageName(state.language));
  form.elements.language.value = state.language;
  ensureOption(form.elements.subject, state.subject);
  form.elements.subject.value = state.subject;
  refs(view).clear.hidden = !isFiltered(state) && state.sort === "title";
  const set = panelFilterCount(state);
  refs(view)["filters-toggle-text"].textContent = set
    ? tn(set, "Filter and sort (1 filter on)", "Filter and sort ({count} filters on)")
    : t("Filter and sort");
}

/** Make sure a select can show `value` even before (or without) its option list loading. */
function ensureOption(select, value, label = value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.append(new Option(label, value));
}

/** Fill the subject or language select from its list (optionLists), keeping the value the URL has. */
async function fillOptions(view, name) {
  const select = refs(view)[name];
  const list = optionLists[name];
  if (select.dataset.loaded) return;
  select.dataset.loaded = "pending";
  optionRequests[name] ??= list.load().catch((error) => {
    optionRequests[name] = null; // try again on the next render
    throw error;
  });
  try {
    const items = await optionRequests[name];
    const current = states.get(view)?.[name] ?? "";
    select.replaceChildren(new Option(list.all(), ""), ...list.options(items));
    ensureOption(select, current, list.label(current));
    select.value = current;
    select.dataset.loaded = "yes";
  } catch {
    // The filter still works for the value in the URL; the list of others is a convenience.
    delete select.dataset.loaded;
  }
}

/** Every item of a paged list, page after page (a language list has at most two pages of 100). */
async function allPages(fetchPage) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const answer = await fetchPage(page);
    items.push(...answer.items);
    if (answer.items.length === 0 || items.length >= answer.total) return items;
  }
}

async function loadResults(ctx, view, state, { retry = false } = {}) {
  const r = refs(view);
  // Keep what is shown until the answer comes (no flicker while typing), dimmed after a moment.
  r.region.setAttribute("aria-busy", "true");
  const shown = r.results.firstElementChild && !r.results.querySelector(".loading");
  if (shown) r.body.classList.add("is-stale");
  else showLoading(r.results, "Loading books…");
  try {
    const envelope = await listBooks(listApiParams(state), { signal: ctx.signal });
    if (ctx.signal.aborted) return;
    const focusedChip = document.activeElement?.closest?.("[data-chip]")?.dataset.chip ?? null;
    const info = pageInfo({ total: envelope.total, page: state.page, per_page: state.per_page });
    const estimate = envelope.total_is_estimate === true;
    renderBooksOrEmpty(r.results, envelope, state, info);
    const suggestions = renderSuggestions(r.suggestions, envelope.suggestions, state);
    renderFilters(r, state, envelope);
    renderFacets(r, state, envelope);
    const summary = resultsSummary(info, "book", { estimate });
    r.summary.textContent = summary;
    renderPager(r.pager, info, null, { links: pagerLinks(state, envelope), estimate });
    r.body.classList.remove("is-stale");
    r.region.removeAttribute("aria-busy");
    if (ctx.sameView) {
      const pages = info.pages > 1 ? `, page ${info.page} of ${estimate ? "about " : ""}${info.pages}` : "";
      const didYouMean = suggestions.length ? ` Did you mean ${suggestions.map((s) => `“${s}”`).join(" or ")}?` : "";
      ctx.announce(`${summary}${pages}.${didYouMean}`);
    }
    // A chip that was clicked is drawn again: keep focus on it (or on the heading when it is gone).
    if (focusedChip && focusLost()) view.querySelector(`[data-chip="${CSS.escape(focusedChip)}"]`)?.focus();
    // Following a pager link replaces it, which drops focus to <body>: continue from the heading.
    if ((ctx.sameView || retry) && focusLost()) r.summary.focus();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    r.body.classList.remove("is-stale");
    r.region.removeAttribute("aria-busy");
    r.summary.textContent = "Could not load books";
    r.pager.replaceChildren();
    if (error.status === 422 && state.cursor && error.errors?.cursor) {
      showEmpty(r.results, "This page of results is no longer available.", "", el("a", { href: listHash(state, { page: 1 }), text: "Go to the first page" }));
    } else {
      showProblem(r.results, error, () => loadResults(ctx, view, state, { retry: true }));
    }
    ctx.announce(`Could not load books. ${error.detail || error.title || ""}`);
  }
}

function renderBooksOrEmpty(container, envelope, state, info) {
  if (envelope.items.length > 0) {
    renderBooks(container, envelope, { info, terms: searchTerms(state.q) });
  } else if (envelope.total > 0) {
    showEmpty(container, "This page is past the end of the results.", "", el("a", { href: listHash(state, { page: 1 }), text: "Go to the first page" }));
  } else if (isFiltered(state)) {
    const now = state.available ? " Some may be out on loan: try without “Available now”." : "";
    const what = (state.q ? `Nothing in the catalog matches “${state.q}” with these filters.` : "Nothing in the catalog matches these filters.") + now;
    showEmpty(container, "No books found.", what, el("a", { href: "#/books", text: "Clear search and filters" }));
  } else {
    const add = canEditCatalog(currentUser()?.role) ? el("a", { href: "#/books/new", text: "Add the first book" }) : null;
    showEmpty(container, "The catalog is empty.", add ? "Books you add will be listed here." : "", add);
  }
}

/** "Did you mean “dune messiah”?" with a link per suggestion (a whole corrected q); returns the ones shown. */
function renderSuggestions(node, suggestions, state) {
  const list = (Array.isArray(suggestions) ? suggestions : []).filter((s) => typeof s === "string" && s.trim() && s !== state.q);
  node.replaceChildren();
  node.hidden = list.length === 0;
  if (!list.length) return list;
  node.append("Did you mean ");
  list.forEach((suggestion, i) => {
    if (i > 0) node.append(i === list.length - 1 ? " or " : ", ");
    node.append(el("a", { href: listHash(state, { q: suggestion }), className: "suggestion" }, el("strong", { text: suggestion })));
  });
  node.append("?");
  return list;
}

/** The active filters as chips; each removes its filter. */
function renderFilters(r, state, envelope) {
  const chips = activeFilters(state, { authorName: (id) => findAuthorName(envelope, id) });
  r.filters.hidden = chips.length === 0;
  r["filter-list"].replaceChildren(
    ...chips.map((chip) => {
      const node = clone("tpl-filter-chip");
      const c = refs(node);
      c.label.textContent = `${chip.name}: ${chip.value}`;
      c.button.dataset.chip = `filter:${chip.key}`;
      chipChanges.set(c.button, chip.changes);
      return node;
    }),
  );
}

/** The response's facets (asked for when a q or a filter is set): top values as toggle buttons with counts. */
function renderFacets(r, state, envelope) {
  const facets = envelope.facets && typeof envelope.facets === "object" ? envelope.facets : {};
  const groups = [];
  for (const name of FACETS) {
    const values = Array.isArray(facets[name]) ? facets[name] : [];
    // One value that every result has, and that is not a filter yet, would not narrow anything.
    if (values.length === 0) continue;
    if (values.length === 1 && values[0].count === envelope.total && !isFacetActive(state, name, values[0].value)) continue;
    const group = clone("tpl-facet-group");
    const g = refs(group);
    g.title.textContent = FACET_TITLES[name];
    g.list.append(...values.map((facet) => facetChip(state, name, facet, envelope.total_is_estimate === true)));
    groups.push(group);
  }
  r.facets.replaceChildren(...groups);
  r["facets-box"].hidden = groups.length === 0;
}

/** A facet value's toggle; counts of an estimated total are estimates too, shown as "~1,200". */
function facetChip(state, name, facet, estimate) {
  const node = clone("tpl-facet-chip");
  const c = refs(node);
  const active = isFacetActive(state, name, facet.value);
  c.label.textContent = facet.label ?? String(facet.value);
  const count = Number(facet.count) || 0;
  const books = count === 1 ? " book" : " books";
  c.count.replaceChildren(`${estimate ? "~" : ""}${count.toLocaleString("en")}`,
    el("span", { className: "visually-hidden", text: estimate ? `${books}, estimated` : books }));
  c.button.setAttribute("aria-pressed", String(active));
  c.button.dataset.chip = `facet:${name}:${facet.value}`;
  chipChanges.set(c.button, toggleFacet(state, name, facet.value));
  return node;
}
