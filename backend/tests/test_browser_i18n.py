"""The app in French and Spanish (issue 14): every view, for each role, shows no English text that the catalogs
translate; dates follow the language; the choice made with the footer's picker survives a reload.

How "no English left" is decided: the page's visible text nodes and the texts of its placeholder, aria-label,
title and alt attributes are collected (whitespace-normalised, outside translate="no", data-no-i18n, kbd and
code); any that equals an English key of frontend/locales/<lang>.json whose translation differs is English left
over. Book titles, names and numbers are never keys, so they do not count.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser import VIEWPORTS, act_as, check_views, heading, screenshot
from tests.conftest import BACKEND_DIR

FRONTEND = BACKEND_DIR.parent / "frontend"
LANGUAGES = ("fr", "es")

# The visible texts of the page (see the module's docstring), deduplicated, in document order.
COLLECT_TEXTS = """() => {
  const SKIP = "[translate=no], [data-no-i18n], script, style, kbd, code, template";
  const seen = new Set();
  const add = (text) => { const key = text.replace(/\\s+/g, " ").trim(); if (/\\p{L}/u.test(key)) seen.add(key); };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      if (node.nodeType === 1 && node.matches(SKIP)) return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    if (node.nodeType === 3) {
      const parent = node.parentElement;
      if (parent && parent.checkVisibility({ visibilityProperty: true }) || parent?.closest(".visually-hidden")) add(node.nodeValue);
      continue;
    }
    if (node.closest("[hidden]")) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) if (node.getAttribute(name)) add(node.getAttribute(name));
  }
  return [...seen];
}"""


@pytest.fixture(autouse=True)
def member_language_back(stack):
    """Picking a language as the member also saves it on their card (saveMyLanguage): put it back afterwards, so
    later tests find the member's account page and e-mails in the library's language."""
    yield
    member = stack.login("member")
    if member.get(f"{stack.url}/api/v1/members/me", timeout=30).status_code == 200:
        answer = member.patch(f"{stack.url}/api/v1/members/me", json={"language": None}, timeout=30)
        assert answer.status_code == 200, answer.text


def catalog(lang):
    return json.loads((FRONTEND / "locales" / f"{lang}.json").read_text(encoding="utf-8"))


def english_left(page, lang):
    """The page's texts that are English keys the catalog translates differently."""
    messages = catalog(lang)
    return [text for text in page.evaluate(COLLECT_TEXTS)
            if isinstance(messages.get(text), str) and messages[text] != text]


def concrete(pattern, ids):
    """A pattern with its parameters filled in from `ids` ({"books": 1, "members": 2, ...})."""
    def fill(match):
        before = pattern[:match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(ids.get(before, ids.get(match.group(1), 1)))
    return re.sub(r":(\w+)", fill, pattern)


def pick_language(page, lang):
    page.locator("#language-picker").select_option(lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)


def open_view(page, stack, route):
    page.evaluate("hash => { location.hash = hash; }", f"#{route}")
    expect(heading(page)).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    page.wait_for_timeout(150)  # what a view adds once its data is in (a status line, a list's summary)


@pytest.fixture(scope="module")
def ids(stack):
    """A real id for each kind of path parameter."""
    librarian = stack.login("admin")

    def first(path, **params):
        response = librarian.get(f"{stack.url}/api/v1{path}", params=params, timeout=30)
        assert response.ok, response.text
        return response.json()["items"][0]

    book = first("/books", sort="title")
    members = first("/members")
    users = first("/users")
    author = (book.get("authors") or [{"id": 1}])[0]["id"]
    return {"books": book["id"], "authors": author, "members": members["id"], "users": users["id"],
            "kind": "hold_ready", "import": 1}


ROLE_ROUTES = {
    # who: which routes to open (access: the route table's rule; visitors see the access view on the others)
    "visitor": lambda access: True,
    "member": lambda access: access in (None, "user"),
    "librarian": lambda access: access in ("catalog", "staff"),
    "admin": lambda access: access == "admin",
}


def route_access():
    source = (FRONTEND / "js" / "main.js").read_text(encoding="utf-8")
    table = source[source.index("const routes = ["):source.index("const notFoundRoute")]
    found = {}
    for line in table.splitlines():
        pattern = re.search(r'pattern: "?([^",]+)"?,', line)
        if pattern:
            access = re.search(r'access: "(\w+)"', line)
            path = {"LOGIN_PATH": "/login", "CHANGE_PASSWORD": "/change-password"}.get(pattern.group(1), pattern.group(1))
            found[path] = access.group(1) if access else None
    found["/no-such-page"] = None
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLE_ROUTES))
def test_every_view_is_translated(app_page, stack, signed_in, ids, lang, role):
    page = app_page
    if role == "visitor":
        page.context.clear_cookies()
    else:
        act_as(page, signed_in, role)
    page.goto(f"{stack.url}/#/books")
    expect(heading(page)).to_be_visible()
    pick_language(page, lang)
    left = {}
    access = route_access()
    for pattern, rule in access.items():
        if not ROLE_ROUTES[role](rule) or pattern in ("/reset-password",):
            continue
        if role != "visitor" and pattern in ("/login", "/forgot-password", "/register"):
            continue
        route = concrete(pattern, ids)
        open_view(page, stack, route)
        english = english_left(page, lang)
        if english:
            left[route] = english
    assert left == {}, f"English left in {lang} for {role}:\n" + "\n".join(f"{k}: {v}" for k, v in left.items())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_choice_is_remembered_and_dates_follow_the_language(app_page, stack, signed_in, ids, lang):
    page = app_page
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/desk/loans")
    expect(heading(page)).to_be_visible()
    pick_language(page, lang)
    expect(heading(page)).to_have_text(catalog(lang)["Loans"])
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(heading(page)).to_have_text(catalog(lang)["Loans"])
    expect(page.locator("#language-picker")).to_have_value(lang)
    assert catalog(lang)["Loans"] in page.evaluate("document.title")
    # a book's page gives the day it was added: the month in the language's words
    open_view(page, stack, f"/books/{ids['books']}")
    months = {"fr": r"\b\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}",
              "es": r"\b\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre) de \d{4}"}
    text = page.locator("main").inner_text()
    assert re.search(months[lang], text), text[:600]
    assert catalog(lang)["Added"] in text
    # back to English for the tests that follow in this browser context (the choice lives in localStorage)
    pick_language(page, "en")


def test_french_at_phone_and_desktop_widths_passes_axe(app_page, stack, signed_in, ids):
    page = app_page
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/books")
    expect(heading(page)).to_be_visible()
    pick_language(page, "fr")
    for route in ("/books", f"/books/{ids['books']}", "/desk", f"/members/{ids['members']}", "/stats"):
        open_view(page, stack, route)
        check_views(page, f"i18n-fr{route.replace('/', '-')}", heading(page))  # axe, no overflow, screenshots
    pick_language(page, "es")
    for route in ("/books", "/desk"):
        open_view(page, stack, route)
        page.set_viewport_size(VIEWPORTS["phone"])
        screenshot(page, f"i18n-es{route.replace('/', '-')}-phone")
        page.set_viewport_size(VIEWPORTS["desktop"])
    pick_language(page, "en")
