// Entry point: the route table, and the glue between the hash and the views. Each navigation
// gets a fresh AbortController (so a slow answer for an old page is never drawn), and a context
// the view renders with: params, query, signal, navigate(), announce(), ready(), notFound().

import { parseHash, matchRoute } from "./router.js";
import { focusLost } from "./dom.js";
import * as booksView from "./views/books.js";
import * as bookView from "./views/book.js";
import * as formView from "./views/form.js";
import * as authorView from "./views/author.js";
import * as notFoundView from "./views/notfound.js";

const ID = /^[1-9]\d{0,17}$/;

const routes = [
  // nav: the main-menu entry to mark; exact: it is that very page (aria-current="page") rather
  // than a page inside its section (aria-current="true").
  { pattern: "/books", view: booksView, nav: "books", exact: true },
  { pattern: "/books/new", view: formView, nav: "new", exact: true },
  { pattern: "/books/:id", view: bookView, params: { id: ID }, nav: "books" },
  { pattern: "/books/:id/edit", view: formView, params: { id: ID }, nav: "books" },
  { pattern: "/authors/:id", view: authorView, params: { id: ID }, nav: "books" },
];
const notFoundRoute = { pattern: "*", view: notFoundView, nav: null };

const DEFAULT_HASH = "#/books";
const SITE = "Library";

const root = document.getElementById("view");
const flash = document.getElementById("flash");
const announcer = document.getElementById("announcer");

let current = { key: null, controller: null };
let pendingMessage = null;
let firstRender = true;

/** Say something to screen readers without showing it. */
function announce(message) {
  announcer.textContent = "";
  // A fresh text node after a tick is announced even when the text repeats.
  setTimeout(() => { announcer.textContent = message; }, 50);
}

/** Go to a hash; `message` is shown in the status area of the next view. */
function navigate(hash, { message = null, replace = false, force = false } = {}) {
  pendingMessage = message;
  if (location.hash === hash) {
    if (force) current.key = null; // redraw from scratch, e.g. the list after a delete
    route();
  } else if (replace) {
    location.replace(hash);
  } else {
    location.hash = hash;
  }
}

function setNav({ nav, exact }) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === nav) link.setAttribute("aria-current", exact ? "page" : "true");
    else link.removeAttribute("aria-current");
  }
}

function route() {
  const hash = location.hash;
  if (hash === "" || hash === "#" || hash === "#/") {
    location.replace(DEFAULT_HASH);
    return;
  }
  if (!hash.startsWith("#/")) return; // an in-page anchor, not a route

  const { path, query } = parseHash(hash);
  const match = matchRoute(routes, path);
  const routeEntry = match?.route ?? notFoundRoute;
  const params = match?.params ?? {};
  const key = `${routeEntry.pattern} ${JSON.stringify(params)}`;
  const sameView = key === current.key && root.childElementCount > 0;

  current.controller?.abort();
  const controller = new AbortController();
  current = { key, controller };

  if (pendingMessage) {
    flash.textContent = pendingMessage;
    pendingMessage = null;
  } else if (!sameView) {
    flash.textContent = "";
  }
  setNav(routeEntry);

  const initial = firstRender; // on page load focus stays at the top, so the skip link comes first
  firstRender = false;
  const ctx = {
    root,
    params,
    query,
    sameView,
    signal: controller.signal,
    navigate,
    announce,
    /**
     * The view's h1 is final: title the document and move focus to the h1 on a new view, or when
     * re-rendering (e.g. "Try again") dropped the focus.
     */
    ready() {
      if (controller.signal.aborted) return;
      const heading = root.querySelector("h1");
      const text = heading?.textContent.trim();
      document.title = text ? `${text} · ${SITE}` : SITE;
      if (heading && !initial && (!sameView || focusLost())) heading.focus();
    },
    /** Show the not-found view in place of this one (e.g. the API said 404). */
    notFound(details) {
      if (!controller.signal.aborted) notFoundView.render(ctx, details);
    },
  };

  Promise.resolve()
    .then(() => routeEntry.view.render(ctx))
    .catch((error) => {
      // A bug in a view: say so rather than leave a blank page.
      console.error(error);
      if (controller.signal.aborted) return;
      root.replaceChildren();
      notFoundView.render(ctx, {
        eyebrow: "Error",
        title: "Something went wrong",
        detail: "This page could not be shown. Reload the page to try again.",
      });
    });
}

document.addEventListener("click", (event) => {
  const skip = event.target.closest("[data-skip]");
  if (!skip) return;
  event.preventDefault(); // "#main" would otherwise be read as a route
  const heading = root.querySelector("h1");
  (heading ?? document.getElementById("main")).focus();
});

window.addEventListener("hashchange", route);
route();
