"""The catalog in a real Chromium through the real stack (nginx -> gunicorn -> PostgreSQL, demo data).

A librarian's round trip: search and open a book; add one, first with a bad ISBN that the server rejects
(the error shows next to the ISBN field), find it, edit it, delete it. axe-core checks every view in light
and dark mode, screenshots are saved at phone and desktop widths, and any console error (a CSP violation
is one) fails the test that caused it.
"""

import os
import random
import re
import shutil
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import BACKEND_DIR, require

pytestmark = [pytest.mark.browser, pytest.mark.nginx]

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
SCREENSHOTS = BACKEND_DIR / "test-output" / "screenshots"
VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}
BAD_ISBN = "978-0-306-40615-8"  # 978-0-306-40615-7 with a wrong check digit

# An HTTP error answer the page handles (e.g. the 422 for the bad ISBN) is still logged by Chromium as
# "Failed to load resource"; those are expected for API URLs. Anything else — a CSP violation, a 404 for a
# static file, an uncaught exception — is a bug.
API_ERROR_LOG = re.compile(r"^Failed to load resource: the server responded with a status of [45]\d\d")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium instead of Playwright's download (RECIPES.md)."""
    require(CHROMIUM is not None, "chromium not installed")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture
def console_errors(page):
    """Collect console errors and page errors; the test fails if any are left at the end."""
    errors = []

    def on_console(message):
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if API_ERROR_LOG.match(message.text) and "/api/" in url:
            return
        errors.append(f"console: {message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    yield errors
    assert errors == [], "\n".join(errors)


@pytest.fixture
def app_page(page, stack, console_errors):
    """A page on the stack's origin with console checking on."""
    page.set_default_timeout(15_000)
    return page


def api_get(page, stack, path, **params):
    response = page.request.get(f"{stack.url}/api/v1{path}", params=params)
    assert response.ok, f"GET {path}: {response.status} {response.text()}"
    return response.json()


def unused_isbn13(page, stack):
    """A valid ISBN-13 (978 prefix, correct check digit) that no book in the catalog has."""
    rng = random.Random()
    for _ in range(20):
        digits = [9, 7, 8, *(rng.randrange(10) for _ in range(9))]
        check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
        isbn = "".join(map(str, digits)) + str(check)
        if api_get(page, stack, "/books", isbn=isbn)["total"] == 0:
            return isbn
    raise AssertionError("could not find an unused ISBN")


def heading(page):
    return page.get_by_role("heading", level=1)


def check_axe(page, label):
    """axe-core (all rules but experimental ones) finds nothing on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"axe on {label}:\n{results.generate_report()}"


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_search_and_open_a_book(app_page, stack):
    page = app_page
    first = api_get(page, stack, "/books", per_page=1, sort="title")["items"][0]
    word = max(re.findall(r"\w+", first["title"]), key=len)

    page.goto(stack.url + "/")
    expect(page).to_have_url(re.compile(r"#/books$"))
    expect(heading(page)).to_have_text("Catalog")
    expect(page.get_by_role("main").get_by_role("listitem").first).to_be_visible()

    page.get_by_role("searchbox", name="Search").fill(word)
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page).to_have_url(re.compile(r"#/books\?q=" + re.escape(word) + "$"))
    result = page.get_by_role("link", name=first["title"], exact=True).first
    expect(result).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=re.compile(r"\d+ books?|Books \d"))).to_be_visible()

    # The state is in the URL: a reload shows the same search.
    page.reload()
    expect(page.get_by_role("searchbox", name="Search")).to_have_value(word)

    result = page.get_by_role("link", name=first["title"], exact=True).first
    result.click()
    expect(page).to_have_url(re.compile(r"#/books/\d+$"))
    expect(heading(page)).to_have_text(first["title"])
    expect(heading(page)).to_be_focused()
    expect(page).to_have_title(f"{first['title']} · Library")
    if first["isbn_formatted"]:
        expect(page.get_by_text(first["isbn_formatted"], exact=True)).to_be_visible()
    for author in first["authors"]:
        expect(page.get_by_role("link", name=author["name"], exact=True)).to_have_attribute(
            "href", f"#/authors/{author['id']}")

    # "Back to the catalog" returns to the search the user came from.
    page.get_by_role("link", name="Back to the catalog").click()
    expect(page.get_by_role("searchbox", name="Search")).to_have_value(word)


def test_filters_and_pages_live_in_the_url(app_page, stack):
    page = app_page
    subjects = api_get(page, stack, "/subjects", per_page=100)["items"]
    subject = max(subjects, key=lambda s: s["book_count"])
    expected = api_get(page, stack, "/books", subject=subject["name"], per_page=20)

    page.goto(stack.url + "/#/books")
    expect(page.get_by_role("combobox", name="Subject")).to_contain_text(subject["name"])
    page.get_by_role("combobox", name="Subject").select_option(subject["name"])
    expect(page).to_have_url(re.compile(r"subject="))
    expect(page.get_by_role("heading", level=2)).to_contain_text(str(expected["total"]))
    page.get_by_role("combobox", name="Sort by").select_option("-published_year")
    expect(page).to_have_url(re.compile(r"sort=-published_year"))

    if expected["total"] > 20:
        page.get_by_role("link", name="Next").click()
        expect(page).to_have_url(re.compile(r"page=2"))
        expect(page.get_by_text(re.compile(r"^Page 2 of \d+$"))).to_be_visible()
        page.go_back()
        expect(page).not_to_have_url(re.compile(r"page=2"))

    page.get_by_role("link", name="Clear search and filters").first.click()
    expect(page).to_have_url(re.compile(r"#/books$"))
    expect(page.get_by_role("combobox", name="Subject")).to_have_value("")


def test_add_edit_and_delete_a_book(app_page, stack):
    page = app_page
    isbn = unused_isbn13(page, stack)
    token = uuid.uuid4().hex[:8]
    title = f"Browser <Test> & {token}"  # markup in data must show as text, never as HTML

    page.goto(stack.url + "/#/books")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add a book").click()
    expect(heading(page)).to_have_text("Add a book")
    expect(heading(page)).to_be_focused()
    title_input = page.get_by_role("textbox", name=re.compile(r"^Title"))
    isbn_input = page.get_by_role("textbox", name="ISBN")
    title_input.fill(title)
    page.get_by_role("textbox", name="Authors").fill("Ada Tester; Grace Example")
    isbn_input.fill(BAD_ISBN)
    page.get_by_role("textbox", name="Year published").fill("2024")
    page.get_by_role("combobox", name="Language").select_option("en")
    page.get_by_role("textbox", name="Subjects").fill("Testing; Browsers")
    page.get_by_role("button", name="Add book").click()

    # The server's message, next to the field and tied to it; the summary takes focus.
    error = page.locator("#book-isbn-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile("isbn", re.I))
    expect(isbn_input).to_have_attribute("aria-invalid", "true")
    expect(isbn_input).to_have_attribute("aria-describedby", re.compile(r"\bbook-isbn-error\b"))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("ISBN")
    expect(title_input).not_to_have_attribute("aria-invalid", "true")

    isbn_input.fill(isbn)
    page.get_by_role("button", name="Add book").click()
    expect(heading(page)).to_have_text(title)
    expect(page).to_have_url(re.compile(r"#/books/\d+$"))
    book_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("status").first).to_contain_text(f"Added “{title}”")
    expect(page.get_by_role("link", name="Ada Tester")).to_be_visible()
    expect(page.get_by_role("link", name="Browsers")).to_have_attribute("href", "#/books?subject=Browsers")
    created = api_get(page, stack, f"/books/{book_id}")
    assert created["isbn"] == isbn and created["published_year"] == 2024 and created["language"] == "en"
    assert created["subtitle"] is None and created["publisher"] is None and created["cover_url"] is None

    # Find it in the list.
    page.goto(f"{stack.url}/#/books?q={token}")
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    page.get_by_role("link", name=title, exact=True).click()

    # Edit: change the title.
    page.get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(heading(page)).to_have_text(f"Edit “{title}”")
    expect(title_input).to_have_value(title)
    expect(isbn_input).to_have_value(re.compile(r"^978-"))
    new_title = f"{title} (Revised)"
    title_input.fill(new_title)
    page.get_by_role("button", name="Save changes").click()
    expect(heading(page)).to_have_text(new_title)
    expect(page.get_by_role("status").first).to_contain_text("Saved changes")
    updated = api_get(page, stack, f"/books/{book_id}")
    assert updated["title"] == new_title
    assert [a["name"] for a in updated["authors"]] == ["Ada Tester", "Grace Example"]

    # Delete, after confirming in the dialog; it is gone from the list and from the API.
    page.get_by_role("button", name=re.compile(r"^Delete")).click()
    dialog = page.get_by_role("dialog", name="Delete this book?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Delete book").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").first).to_contain_text(f"Deleted “{new_title}”")
    expect(page).to_have_url(re.compile(r"#/books"))
    expect(page.get_by_role("link", name=new_title, exact=True)).to_have_count(0)
    page.goto(f"{stack.url}/#/books?q={token}")
    expect(page.get_by_text("No books found.")).to_be_visible()
    assert page.request.get(f"{stack.url}/api/v1/books/{book_id}").status == 404

    page.goto(f"{stack.url}/#/books/{book_id}")
    expect(heading(page)).to_have_text("Book not found")


def test_duplicate_isbn_is_shown_on_the_isbn_field(app_page, stack):
    page = app_page
    taken = next(b for b in api_get(page, stack, "/books", per_page=50)["items"] if b["isbn"])
    page.goto(stack.url + "/#/books/new")
    page.get_by_role("textbox", name=re.compile(r"^Title")).fill("Duplicate ISBN")
    page.get_by_role("textbox", name="ISBN").fill(taken["isbn"])
    page.get_by_role("button", name="Add book").click()
    expect(page.locator("#book-isbn-error")).to_contain_text(taken["isbn"])
    expect(page.get_by_role("textbox", name="ISBN")).to_have_attribute("aria-invalid", "true")


def test_unknown_routes_show_not_found(app_page, stack):
    page = app_page
    page.goto(stack.url + "/#/no/such/page")
    expect(heading(page)).to_have_text("Page not found")
    page.goto(stack.url + "/#/authors/999999999")
    expect(heading(page)).to_have_text("Author not found")
    page.get_by_role("link", name="Browse the catalog").click()
    expect(heading(page)).to_have_text("Catalog")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_view_is_accessible(app_page, stack, scheme):
    page = app_page
    page.emulate_media(color_scheme=scheme)
    book = next(b for b in api_get(page, stack, "/books", per_page=50)["items"] if b["authors"] and b["subjects"])
    author = book["authors"][0]
    views = {
        "list": ("#/books", "Catalog"),
        "detail": (f"#/books/{book['id']}", book["title"]),
        "form": ("#/books/new", "Add a book"),
        "edit": (f"#/books/{book['id']}/edit", f"Edit “{book['title']}”"),
        "author": (f"#/authors/{author['id']}", author["name"]),
        "not-found": ("#/nowhere", "Page not found"),
    }
    for name, (route, title) in views.items():
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(f"{stack.url}/{route}")
            page.reload()  # a fresh load, like a shared link
            expect(heading(page)).to_have_text(title)
            expect(page.locator("[aria-busy=true]")).to_have_count(0)
            if name in ("list", "author"):
                expect(page.locator(".book-list > li").first).to_be_visible()
            if size == "desktop":
                check_axe(page, f"{name} ({scheme})")
            screenshot(page, f"{name}-{size}-{scheme}")

    # The form with the server's errors on it, and the delete dialog.
    page.goto(f"{stack.url}/#/books/new")
    page.get_by_role("textbox", name="ISBN").fill(BAD_ISBN)
    page.get_by_role("textbox", name="Year published").fill("next year")
    page.get_by_role("button", name="Add book").click()
    expect(page.locator("#book-isbn-error")).to_be_visible()
    expect(page.locator("#book-title-error")).to_be_visible()
    check_axe(page, f"form with errors ({scheme})")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"form-errors-{size}-{scheme}")

    page.goto(f"{stack.url}/#/books/{book['id']}")
    page.get_by_role("button", name=re.compile(r"^Delete")).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    check_axe(page, f"delete dialog ({scheme})")
    screenshot(page, f"dialog-desktop-{scheme}")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile(r"^Delete"))).to_be_focused()


def test_keyboard_only(app_page, stack):
    page = app_page
    page.goto(stack.url + "/#/books")
    expect(heading(page)).to_have_text("Catalog")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(heading(page)).to_be_focused()
    expect(page).to_have_url(re.compile(r"#/books$"))  # the skip link is not a route
    page.keyboard.press("Tab")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()
    page.keyboard.type("zzzz-no-such-book")
    page.keyboard.press("Enter")
    expect(page.get_by_text("No books found.")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()


def test_an_outage_shows_the_problem_and_retry_recovers(app_page, stack):
    page = app_page
    book = api_get(page, stack, "/books", per_page=1)["items"][0]
    page.goto(stack.url + "/#/books")
    expect(page.locator(".book-list > li").first).to_be_visible()
    stack.stop_backend()  # nginx stays up and answers /api with its own problem+json 502
    try:
        page.goto(f"{stack.url}/#/books/{book['id']}")
        expect(heading(page)).to_be_visible()
        expect(heading(page)).not_to_have_text(book["title"])
        retry = page.get_by_role("button", name="Try again")
        expect(retry).to_be_visible()
        page.goto(f"{stack.url}/#/books?q=anything")
        expect(page.get_by_role("heading", level=2)).to_have_text("Could not load books")
        page.goto(f"{stack.url}/#/books/{book['id']}")
        expect(retry).to_be_visible()
    finally:
        stack.start_backend()
    retry.click()
    expect(heading(page)).to_have_text(book["title"])
    expect(heading(page)).to_be_focused()


def test_api_docs_render_under_the_csp(app_page, stack):
    """The interactive API docs load their assets from this server and run under the strict CSP."""
    requests_seen = []
    app_page.on("request", lambda request: requests_seen.append(request.url))
    app_page.goto(f"{stack.url}/api/docs")
    expect(app_page.locator(".swagger-ui .info .title")).to_contain_text("Library API")
    expect(app_page.get_by_text("/api/v1/books/{book_id}").first).to_be_visible()
    assert all(url.startswith(stack.url) or url.startswith("data:") for url in requests_seen), requests_seen
    screenshot(app_page, "api-docs")
