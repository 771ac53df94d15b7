// Entry point: the route table, and the glue between the hash and the views. Each navigation
// gets a fresh AbortController (so a slow answer for an old page is never drawn), and a context
// the view renders with: params, query, hash, signal, navigate(), announce(), ready(), notFound().
// It also owns the session: GET /auth/me once at start, the header's account links, logging out,
// and what happens when the server answers 401 mid-use (back to the login page, and then back here);
// and the header: the library's name (GET /settings/public, also in every page title) and the phone menu.
// The header is drawn once both have answered, before the first view, so nothing below it moves.

import { parseHash, matchRoute, loginHash, buildHash, LOGIN_PATH } from "./router.js";
import { focusLost } from "./dom.js";
import { getMe, getPublicSettings, loadCatalog, logout, onUnauthorized, saveMyLanguage } from "./api.js";
import { LANGUAGES, chooseLanguage, currentLocale, setCatalog, t } from "./i18n.js";
import { translateTree } from "./i18n-dom.js";
import {
  canAccess, canEditCatalog, isAdmin, isStaff, clearSession, currentCard, currentUser, displayName, onSessionChange, setUser,
} from "./session.js";
import { pageTitle } from "./format.js";
import { setUpMenu } from "./menu.js";
import { mustChangePassword } from "./accounts.js";
import * as booksView from "./views/books.js";
import * as bookView from "./views/book.js";
import * as formView from "./views/form.js";
import * as authorView from "./views/author.js";
import * as notFoundView from "./views/notfound.js";
import * as accessView from "./views/access.js";
import * as loginView from "./views/login.js";
import * as accountView from "./views/account.js";
import * as usersView from "./views/users.js";
import * as userNewView from "./views/usernew.js";
import * as deskView from "./views/desk.js";
import * as meView from "./views/me.js";
import * as membersView from "./views/members.js";
import * as memberNewView from "./views/membernew.js";
import * as memberView from "./views/member.js";
import * as labelsView from "./views/labels.js";
import { listView } from "./views/stafflist.js";
import * as duplicatesView from "./views/duplicates.js";
import * as helpView from "./views/help.js";
import * as importsView from "./views/imports.js";
import * as forgotView from "./views/forgot.js";
import * as resetPasswordView from "./views/resetpassword.js";
import * as changePasswordView from "./views/changepassword.js";
import * as registerView from "./views/register.js";
import * as userView from "./views/user.js";
import * as settingsView from "./views/settings.js";
import * as auditView from "./views/audit.js";
import * as noticesView from "./views/notices.js";
import * as noticeTemplateView from "./views/noticetemplate.js";
import * as statsView from "./views/stats.js";
import * as historyView from "./views/history.js";

const ID = /^[1-9]\d{0,17}$/;
// A user with a temporary password sees only this page (and these) until they have chosen their own.
const CHANGE_PASSWORD = "/change-password";
const OPEN_WITH_TEMPORARY_PASSWORD = new Set([CHANGE_PASSWORD, LOGIN_PATH, "/reset-password"]);

const routes = [
  // nav: the main-menu entry to mark; exact: it is that very page (aria-current="page") rather
  // than a page inside its section (aria-current="true"). access: who may see it (session.js
  // canAccess); others get the access view, which explains and offers to log in.
  { pattern: "/books", view: booksView, nav: "books", exact: true },
  { pattern: "/books/new", view: formView, nav: "new", exact: true, access: "catalog" },
  { pattern: "/books/:id", view: bookView, params: { id: ID }, nav: "books" },
  { pattern: "/books/:id/edit", view: formView, params: { id: ID }, nav: "books", access: "catalog" },
  { pattern: "/authors/:id", view: authorView, params: { id: ID }, nav: "books" },
  { pattern: "/duplicates", view: duplicatesView, nav: "duplicates", exact: true, access: "catalog" },
  { pattern: LOGIN_PATH, view: loginView, nav: "login", exact: true },
  { pattern: "/account", view: accountView, nav: "account", exact: true, access: "user" },
  { pattern: "/me", view: meView, nav: "me", exact: true, access: "user" },
  { pattern: "/me/history", view: historyView, nav: "me", access: "user" },
  { pattern: "/desk", view: deskView, nav: "desk", exact: true, access: "staff" },
  { pattern: "/desk/pull-list", view: listView("pull"), nav: "desk", access: "staff" },
  { pattern: "/desk/hold-shelf", view: listView("shelf"), nav: "desk", access: "staff" },
  { pattern: "/desk/loans", view: listView("loans"), nav: "desk", access: "staff" },
  { pattern: "/desk/holds", view: listView("holds"), nav: "desk", access: "staff" },
  { pattern: "/desk/archive", view: listView("archive"), nav: "desk", access: "staff" },
  { pattern: "/desk/labels", view: labelsView, nav: "desk", access: "staff" },
  { pattern: "/members", view: membersView, nav: "members", exact: true, access: "staff" },
  { pattern: "/members/new", view: memberNewView, nav: "members", access: "staff" },
  { pattern: "/members/:id", view: memberView, params: { id: ID }, nav: "members", access: "staff" },
  { pattern: "/notices", view: noticesView, nav: "notices", exact: true, access: "staff" },
  { pattern: "/notices/templates/:kind", view: noticeTemplateView, params: { kind: /^[a-z_]{1,30}$/ }, nav: "notices", access: "admin" },
  { pattern: "/import", view: importsView, nav: "import", exact: true, access: "staff" },
  { pattern: "/import/:id", view: importsView, params: { id: ID }, nav: "import", access: "staff" },
  { pattern: "/stats", view: statsView, nav: "stats", exact: true, access: "staff" },
  { pattern: "/help", view: helpView, nav: "help", exact: true },
  { pattern: "/admin/users", view: usersView, nav: "admin", access: "admin" },
  { pattern: "/admin/users/new", view: userNewView, nav: "admin", access: "admin" },
  { pattern: "/admin/users/:id", view: userView, params: { id: ID }, nav: "admin", access: "admin" },
  { pattern: "/admin/settings", view: settingsView, nav: "admin", access: "admin" },
  { pattern: "/admin/audit", view: auditView, nav: "admin", access: "admin" },
  { pattern: "/forgot-password", view: forgotView, nav: "login", exact: true },
  { pattern: "/reset-password", view: resetPasswordView, nav: null },
  { pattern: "/register", view: registerView, nav: "login", exact: true },
  { pattern: CHANGE_PASSWORD, view: changePasswordView, nav: "account", exact: true, access: "user" },
];
const notFoundRoute = { pattern: "*", view: notFoundView, nav: null };

const DEFAULT_HASH = "#/books";
let libraryName = "Library"; // until GET /settings/public says otherwise

const root = document.getElementById("view");
const flash = document.getElementById("flash");
const announcer = document.getElementById("announcer");

let current = { key: null, controller: null };
let pendingMessage = null;
let firstRender = true;

// Who is here, and the library's name: asked once per page load, side by side. Views wait for both, so they
// draw for the right role under a header that is already final (no layout shift when it fills in).
const sessionReady = Promise.all([
  getMe()
    .then((me) => (me.user ? setUser(me.user, { via: me.via, scopes: me.scopes, card: me.member }) : clearSession()))
    .catch(() => clearSession()), // the server is down: browse as a visitor; the views say what failed
  getPublicSettings()
    .catch(() => null) // keep the default name and language
    .then((settings) => {
      showLibraryName(settings?.library_name);
      return useLanguage(chooseLanguage({ stored: storedLanguage(), browser: navigator.languages, libraryDefault: settings?.default_language }));
    }),
]).finally(() => {
  drawAccount();
  document.querySelector("[data-header]").classList.add("is-ready");
});

setUpMenu(document.querySelector("[data-menu-toggle]"));

// ---- Language: the user's choice (kept in this browser), else the browser's, else the library's default ----

const LANGUAGE_KEY = "library.language";
const picker = document.querySelector("[data-language-picker]");

function storedLanguage() {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null; // storage blocked: the browser's language then
  }
}

/** Load `lang`'s catalog and show the page's own words in it (English when the catalog cannot be loaded). */
async function useLanguage(lang) {
  let messages = {};
  if (lang !== "en") {
    try {
      messages = await loadCatalog(lang);
    } catch (error) {
      console.warn(`No ${lang} translations: ${error.message}`);
      lang = "en";
    }
  }
  setCatalog(lang, messages);
  document.documentElement.lang = lang;
  for (const part of document.querySelectorAll("[data-skip], .site-header, .site-footer, noscript")) translateTree(part);
  if (picker) picker.value = lang;
}

/** The picker's choice: remembered here (and on a member's record), and the view drawn again in it. */
async function pickLanguage(lang) {
  if (!(lang in LANGUAGES) || lang === currentLocale()) return;
  try {
    localStorage.setItem(LANGUAGE_KEY, lang);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
  await useLanguage(lang);
  if (currentCard() || currentUser()?.role === "member") saveMyLanguage(lang).catch(() => {}); // kept here anyway
  current.key = null; // the same URL, drawn again from scratch in the new language (its state is in the URL)
  root.replaceChildren();
  route();
  announce(LANGUAGES[currentLocale()]);
}

picker?.addEventListener("change", () => pickLanguage(picker.value));

/** The library's name in the header and footer, and from now on in page titles. */
function showLibraryName(name) {
  if (typeof name !== "string" || !name.trim()) return;
  libraryName = name.trim();
  for (const node of document.querySelectorAll("[data-library-name]")) node.textContent = libraryName;
  document.title = libraryName;
}

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

/** Show the header links for the current user: Log in, or their name, My loans (with a library card), Account,
 * Log out (and the staff's Desk and Members, the admins' Admin pages). */
function drawAccount() {
  const user = currentUser();
  const show = {
    anonymous: !user,
    user: Boolean(user),
    // Staff see "My loans" with a card only; a member always, where a member without one learns how to get it.
    card: Boolean(user && (currentCard() || user.role === "member")),
    catalog: canEditCatalog(user?.role),
    staff: isStaff(user?.role),
    admin: isAdmin(user?.role),
  };
  for (const item of document.querySelectorAll("[data-show-if]")) item.hidden = !show[item.dataset.showIf];
  for (const name of document.querySelectorAll("[data-user-name]")) name.textContent = displayName(user);
  updateLoginLink();
}

/** The header's "Log in" link comes back to the page the visitor is on. */
function updateLoginLink() {
  const link = document.querySelector("[data-login-link]");
  const { path } = parseHash(location.hash);
  if (link && path !== LOGIN_PATH) link.href = loginHash(location.hash);
}

onSessionChange(drawAccount);

document.querySelector("[data-logout]").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await logout();
  } catch (error) {
    button.disabled = false;
    flash.textContent = t("Could not log out: {reason}", { reason: error.detail || error.title });
    return;
  }
  button.disabled = false;
  clearSession();
  navigate("#/books", { message: t("You have logged out."), force: true });
});

// The session ended under us (expired, revoked, logged out in another tab): forget the user and
// ask them to log in again, coming back to this page afterwards. A 401 to a visitor's read is left
// to the view (the catalog is public, so it should not happen).
onUnauthorized((error, { method }) => {
  const hash = location.hash;
  const wasUser = currentUser() !== null;
  clearSession();
  if (parseHash(hash).path === LOGIN_PATH || (!wasUser && method === "GET")) return;
  current.controller?.abort(); // the view that asked stops here, rather than showing the 401
  navigate(loginHash(hash), {
    message: wasUser ? t("Your session has ended. Log in again to continue.") : t("Log in to continue."),
    replace: true,
  });
});

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
  if (!sameView) root.removeAttribute("aria-busy"); // a view left while loading does not leave the next one "busy"

  if (pendingMessage) {
    flash.textContent = pendingMessage;
    pendingMessage = null;
  } else if (!sameView) {
    flash.textContent = "";
  }
  setNav(routeEntry);
  updateLoginLink();

  const initial = firstRender; // on page load focus stays at the top, so the skip link comes first
  firstRender = false;
  const ctx = {
    root,
    params,
    query,
    hash,
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
      document.title = pageTitle(text, libraryName);
      if (heading && !initial && (!sameView || focusLost())) heading.focus();
    },
    /** The settings page saved a new library name: the header, footer and title show it at once. */
    libraryNameChanged(name) {
      showLibraryName(name);
      document.title = pageTitle(root.querySelector("h1")?.textContent.trim(), libraryName);
    },
    /** Show the not-found view in place of this one (e.g. the API said 404). */
    notFound(details) {
      if (!controller.signal.aborted) notFoundView.render(ctx, details);
    },
  };

  sessionReady
    .then(() => {
      if (controller.signal.aborted) return undefined;
      if (!canAccess(routeEntry.access, currentUser())) return accessView.render(ctx, routeEntry.access);
      if (mustChangePassword(currentUser()) && !OPEN_WITH_TEMPORARY_PASSWORD.has(routeEntry.pattern)) {
        navigate(buildHash(CHANGE_PASSWORD, { next: hash }), { replace: true, message: flash.textContent || null });
        return undefined;
      }
      return routeEntry.view.render(ctx);
    })
    .catch((error) => {
      // A bug in a view: say so rather than leave a blank page.
      console.error(error);
      if (controller.signal.aborted) return;
      root.replaceChildren();
      notFoundView.render(ctx, {
        eyebrow: t("Error"),
        title: t("Something went wrong"),
        detail: t("This page could not be shown. Reload the page to try again."),
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
