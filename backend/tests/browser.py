"""What every browser test uses: Debian's Chromium for Playwright, console-error checking, logging in through
the form, axe and screenshots. The fixtures are registered in conftest.py; test modules import the helpers:

    from tests.browser import app_page, heading, log_in, screenshot, check_axe   # noqa: F401 (fixtures)

Logins through the form come from 127.0.0.1, where nginx allows a burst of 20 and then 10 a minute: use
`signed_in(role)` (one form login per role for the whole run, its cookies handed out) with act_as(). Those
sessions are shared by every test: never log out of one (log in afresh with log_in() to test logging out).
"""

import os
import random
import re
import shutil
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import BACKEND_DIR, require

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
SCREENSHOTS = BACKEND_DIR / "test-output" / "screenshots"
VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}

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


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def account_nav(page):
    return page.get_by_role("navigation", name="Account")


def fill_login(page, email, password):
    """Fill in and send the login form the page is showing."""
    expect(heading(page)).to_have_text("Log in")
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def log_in(page, stack, who, start="#/books"):
    """Log in through the header's "Log in" link from `start`; back on `start` afterwards.
    `who` is a role of stack.users or an (email, password) pair."""
    email, password = stack.users[who] if isinstance(who, str) else who
    page.goto(f"{stack.url}/{start}")
    account_nav(page).get_by_role("link", name="Log in").click()
    fill_login(page, email, password)
    expect(page.get_by_role("status").first).to_contain_text("You are logged in as")
    expect(account_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    return email, password


def log_out(page):
    account_nav(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status").first).to_contain_text("You have logged out.")
    expect(account_nav(page).get_by_role("link", name="Log in")).to_be_visible()


def csrf_headers(page, stack):
    """X-CSRFToken for a write through page.request, which shares the page's session cookie."""
    response = page.request.get(f"{stack.url}/api/v1/auth/csrf")
    assert response.ok, f"GET /auth/csrf: {response.status} {response.text()}"
    return {"X-CSRFToken": response.json()["csrf_token"]}


def new_book(stack, **fields):
    """A book made through the API as the stack's librarian (not through the page)."""
    librarian = stack.login("librarian")
    response = librarian.post(f"{stack.url}/api/v1/books", json={"title": f"Fixture {uuid.uuid4().hex[:8]}", **fields},
                              timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def check_axe(page, label):
    """axe-core (all rules but experimental ones) finds nothing on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"axe on {label}:\n{results.generate_report()}"


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def signed_in(browser, stack):
    """Log in through the login form once per role for the whole run, and hand out the
    session cookies afterwards (nginx allows 127.0.0.1 only so many logins): signed_in(role) -> cookies."""
    cookies = {}

    def get(role):
        if role not in cookies:
            context = browser.new_context()
            try:
                page = context.new_page()
                page.set_default_timeout(15_000)
                log_in(page, stack, role)
                cookies[role] = context.cookies()
            finally:
                context.close()
        return cookies[role]

    return get


def act_as(page, signed_in, role):
    """Use `role`'s session in this page from the next page load on."""
    page.goto("about:blank")  # the app asks who is logged in once per load
    page.context.clear_cookies()
    page.context.add_cookies(signed_in(role))




def check_views(page, name, ready):
    """axe at phone and desktop widths, nothing wider than the window (no action off screen on a phone), and a
    screenshot `name-<size>` at each; `ready` is a locator to wait for after each resize."""
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        expect(ready).to_be_visible()
        expect(page.locator("[aria-busy=true]")).to_have_count(0)
        check_axe(page, f"{name} ({size})")
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{name} ({size}): the page is {wide}px wider than the window"
        screenshot(page, f"{name}-{size}")
    page.set_viewport_size(VIEWPORTS["desktop"])


def go(page, stack, route):
    """Open a hash route afresh (a reload, so the view is drawn from the server's state)."""
    page.goto(f"{stack.url}/{route}")
    page.reload()


def desk_scan(page, barcode):
    """Type a barcode into the desk's focused barcode field and send it."""
    expect(page.get_by_role("textbox", name=re.compile(r"^(2 )?Barcode to"))).to_be_focused()
    page.keyboard.type(barcode)
    page.keyboard.press("Enter")


def link_token(url):
    """A password link as the app shows it: the public address, the set-a-password route, a 43-character secret."""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/#/reset-password\?token=[A-Za-z0-9_-]{43}", url), url
    return url
