"""What a visitor and a phone see first, in a real Chromium through the real stack (nginx -> gunicorn -> PostgreSQL,
demo data): page loads without a single console error or failed request (not even the API ones app_page lets
pass), "My loans" only with a library card, "Log in to place a hold" for visitors; no layout shift at any width
(scrollbars shown, as Lighthouse and real desktops have them); the phone's Menu by keyboard; the catalog on a
phone with its results on the first screen; the language filter; the library's name in the header and titles; the
help page. axe at phone and desktop widths; screenshots in test-output/screenshots/layout-*.png.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import VIEWPORTS, account_nav, act_as, api_get, check_axe, heading, main_nav, screenshot
from tests.stack import client_from

pytestmark = [pytest.mark.browser, pytest.mark.nginx]

PHONE, DESKTOP = VIEWPORTS["phone"], VIEWPORTS["desktop"]
CLS_MAX = 0.05

# Layout shifts as the browser reports them, from the very start of the page load (registered before any script).
WATCH_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__shifts.push({ value: entry.value, sources: entry.sources.map((s) => s.node ? s.node.nodeName + "." +
      s.node.className : "?") });
  }
}).observe({ type: "layout-shift", buffered: true });
"""


def watch_everything(page):
    """Every console error and every failed request (status >= 400 or no answer), the API's included; a request
    that the page itself gave up on when it went elsewhere (ERR_ABORTED) is not a failure."""
    seen = []
    page.on("console", lambda message: seen.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("response", lambda response: seen.append(f"{response.status} {response.request.method} {response.url}")
            if response.status >= 400 else None)
    page.on("requestfailed", lambda request: seen.append(f"failed {request.method} {request.url}: {request.failure}")
            if "ERR_ABORTED" not in (request.failure or "") else None)
    return seen


def load(page, url, ready):
    """A fresh load of `url`, done when `ready` is visible and nothing is busy."""
    page.goto("about:blank")
    page.goto(url)
    expect(page.locator(ready).first).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    page.wait_for_load_state("networkidle")


def session_cookies(stack, email, password):
    """Browser cookies for a session opened through nginx from a loopback address of its own (not 127.0.0.1, whose
    form logins nginx rations)."""
    client = client_from(f"127.0.3.{uuid.uuid4().int % 250 + 1}")
    response = client.post(f"{stack.url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    return [{"name": c.name, "value": c.value, "url": stack.url} for c in client.cookies]


@pytest.fixture(scope="module")
def carded(stack):
    """A member account with a library card linked to it: (email, password, member)."""
    email, password = stack.create_user(f"carded-{uuid.uuid4().hex[:8]}@stack.test", "member", name="Carla Card")
    admin, librarian = stack.login("admin"), stack.login("librarian")
    user = next(u for u in admin.get(f"{stack.url}/api/v1/users", params={"q": email}, timeout=30).json()["items"]
                if u["email"] == email)
    response = librarian.post(f"{stack.url}/api/v1/members", timeout=30, json={
        "card_number": f"L-{uuid.uuid4().hex[:6].upper()}", "name": "Carla Card", "user_id": user["id"]})
    assert response.status_code == 201, response.text
    return email, password, response.json()


def a_book(page, stack):
    return next(b for b in api_get(page, stack, "/books", per_page=50)["items"] if b["authors"])


# ---- A visitor is not an error ----

def test_pages_load_without_any_error_for_visitors_and_for_staff_without_a_card(app_page, stack, signed_in):
    page = app_page
    book = a_book(page, stack)
    errors = watch_everything(page)
    visitor_pages = [("#/books", ".book-list > li"), (f"#/books/{book['id']}", ".copies-table, .empty"),
                     (f"#/authors/{book['authors'][0]['id']}", ".book-list > li"), ("#/help", "h1"),
                     ("#/login", "form"), ("#/nowhere", "h1")]
    for route, ready in visitor_pages:
        load(page, f"{stack.url}/{route}", ready)
    assert errors == []

    # The visitor's book page says that logging in allows holds, and the link comes back to the book.
    load(page, f"{stack.url}/#/books/{book['id']}", ".copies-table, .empty")
    hint = page.get_by_role("link", name="Log in to place a hold")
    expect(hint).to_have_attribute("href", f"#/login?next=%23%2Fbooks%2F{book['id']}")
    expect(page.get_by_role("button", name="Place hold")).to_be_hidden()

    # A librarian has no library card: no "My loans", and no request for a card that is not there.
    act_as(page, signed_in, "librarian")
    for route, ready in [("#/books", ".book-list > li"), (f"#/books/{book['id']}", ".copies-table")]:
        load(page, f"{stack.url}/{route}", ready)
    expect(main_nav(page).get_by_role("link", name="Desk")).to_be_visible()
    expect(account_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    expect(account_nav(page).get_by_role("link", name="My loans")).to_be_hidden()
    expect(page.get_by_role("link", name="Log in to place a hold")).to_be_hidden()
    expect(page.get_by_role("button", name="Place hold")).to_be_hidden()
    # Typed in by hand, #/me explains instead of asking for the card.
    load(page, f"{stack.url}/#/me", ".empty")
    expect(page.get_by_text("You don’t have a library card yet.")).to_be_visible()
    assert errors == []


def test_a_visitor_logs_in_from_a_book_to_place_a_hold_and_a_member_with_a_card_sees_my_loans(app_page, stack, carded):
    page = app_page
    email, password, member = carded
    book = a_book(page, stack)
    errors = watch_everything(page)
    load(page, f"{stack.url}/#/books/{book['id']}", ".copies-table, .empty")
    page.get_by_role("link", name="Log in to place a hold").click()
    expect(heading(page)).to_have_text("Log in")
    expect(page).to_have_url(re.compile(rf"#/login\?next=%23%2Fbooks%2F{book['id']}$"))
    # Logged in (the session opened elsewhere, sparing 127.0.0.1's rationed form logins): the login page sends
    # the user on to the book, as it does after the form.
    page.context.add_cookies(session_cookies(stack, email, password))
    page.reload()
    expect(heading(page)).to_have_text(book["title"])
    expect(page).to_have_url(re.compile(rf"#/books/{book['id']}$"))
    expect(page.get_by_role("button", name="Place hold").or_(page.get_by_text("You have a hold on this book"))).to_be_visible()
    expect(page.get_by_role("link", name="Log in to place a hold")).to_be_hidden()
    expect(account_nav(page).get_by_role("link", name="My loans")).to_be_visible()
    account_nav(page).get_by_role("link", name="My loans").click()
    expect(page.get_by_text(f"Library card {member['card_number']}, Carla Card.")).to_be_visible()
    assert errors == []


# ---- No layout shift ----

@pytest.fixture(scope="module")
def scrollbar_browser(browser_type, browser_type_launch_args):
    """A Chromium that shows classic scrollbars (Playwright hides them by default; Lighthouse and desktops do not):
    a list that makes the page scroll then takes width from it, which is what moved the whole page."""
    browser = browser_type.launch(**browser_type_launch_args, ignore_default_args=["--hide-scrollbars"])
    yield browser
    browser.close()


def layout_shift(browser, url, viewport, cookies=(), shot=None):
    """The sum of the layout shifts of one fresh page load, until the list has come and a second has passed."""
    context = browser.new_context(viewport=viewport)
    try:
        if cookies:
            context.add_cookies(list(cookies))
        page = context.new_page()
        page.add_init_script(WATCH_SHIFTS)
        page.goto(url)
        expect(page.locator(".book-list > li").first).to_be_visible(timeout=15_000)
        page.wait_for_timeout(1000)
        shifts = page.evaluate("window.__shifts")
        if shot:
            screenshot(page, shot)
        return sum(s["value"] for s in shifts), shifts
    finally:
        context.close()


def test_the_catalog_does_not_move_as_it_loads_at_any_width(scrollbar_browser, stack, signed_in):
    """Lighthouse measured CLS 0.85 at 1280-1350 px: the scrollbar appearing with the list moved the page, and the
    footer was pushed down. Now nothing moves, for visitors and for staff (whose header has more links)."""
    url = f"{stack.url}/#/books"
    too_much = {}
    for width in (320, 375, 414, 768, 1024, 1280, 1300, 1350, 1440, 1920):
        viewport = {"width": width, "height": 740 if width < 768 else 900}
        shot = f"layout-catalog-visitor-{width}" if width in (375, 1280, 1350) else None
        cls, shifts = layout_shift(scrollbar_browser, url, viewport, shot=shot)
        if cls > CLS_MAX:
            too_much[f"visitor at {width}"] = (cls, shifts)
    for width in (375, 1280, 1350):
        viewport = {"width": width, "height": 740 if width < 768 else 900}
        cls, shifts = layout_shift(scrollbar_browser, url, viewport, cookies=signed_in("admin"),
                                   shot=f"layout-catalog-admin-{width}")
        if cls > CLS_MAX:
            too_much[f"admin at {width}"] = (cls, shifts)
    assert too_much == {}


# ---- The phone: the menu, and the catalog's first screen ----

def test_the_phone_menu_works_by_keyboard(app_page, stack, signed_in):
    page = app_page
    act_as(page, signed_in, "librarian")
    page.set_viewport_size(PHONE)
    load(page, f"{stack.url}/#/books", ".book-list > li")
    toggle = page.get_by_role("button", name="Menu")
    header = page.get_by_role("banner")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(main_nav(page).get_by_role("link", name="Desk")).to_be_hidden()
    assert header.bounding_box()["height"] < 0.12 * PHONE["height"]  # was 30 % of the screen
    screenshot(page, "layout-phone-menu-closed")

    # Tab from the top: skip link, the library's name, the menu button.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(f"#{toggle.get_attribute('aria-controls')}")).to_be_visible()
    for name in ("Browse", "Add a book", "Desk", "Members"):
        expect(main_nav(page).get_by_role("link", name=name)).to_be_visible()
    expect(account_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    check_axe(page, "phone menu open")
    screenshot(page, "layout-phone-menu-open")

    page.keyboard.press("Tab")  # into the menu, in reading order
    expect(main_nav(page).get_by_role("link", name="Browse")).to_be_focused()
    page.keyboard.press("Escape")  # closes it, and focus goes back to the button
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(main_nav(page).get_by_role("link", name="Browse")).to_be_hidden()

    page.keyboard.press("Space")  # a real button: Space works too
    expect(toggle).to_have_attribute("aria-expanded", "true")
    desk = main_nav(page).get_by_role("link", name="Desk")
    while not desk.evaluate("(node) => node === document.activeElement"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # following a link closes the menu
    expect(heading(page)).to_have_text("Circulation desk")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(desk).to_be_hidden()

    # From 48rem up there is no Menu button: the links are in the header.
    page.set_viewport_size(DESKTOP)
    expect(toggle).to_be_hidden()
    expect(main_nav(page).get_by_role("link", name="Desk")).to_be_visible()


def test_the_catalog_on_a_phone_shows_results_on_the_first_screen(app_page, stack):
    page = app_page
    page.set_viewport_size(PHONE)
    load(page, f"{stack.url}/#/books", ".book-list > li")
    first = page.locator(".book-list > li").first.bounding_box()
    assert first["y"] + first["height"] <= PHONE["height"], first  # results started 715 px down
    subject = page.get_by_role("combobox", name="Subject")
    expect(subject).to_be_hidden()

    # The search box's placeholder fits in it (it was cut off), down to the smallest phones.
    search = page.get_by_role("searchbox", name="Search")
    for width in (PHONE["width"], 320):
        page.set_viewport_size({**PHONE, "width": width})
        room, needed = search.evaluate("""(input) => {
            const style = getComputedStyle(input);
            const context = document.createElement("canvas").getContext("2d");
            context.font = style.font;
            const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return [room, context.measureText(input.placeholder).width];
        }""")
        assert needed <= room, (width, needed, room)
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("button", name="Search")).to_be_visible()  # a magnifier, named "Search"
    screenshot(page, "layout-phone-catalog")

    toggle = page.get_by_role("button", name=re.compile(r"^Filter and sort"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(subject).to_be_visible()
    check_axe(page, "phone catalog with the filters open")
    screenshot(page, "layout-phone-catalog-filters")
    page.get_by_role("combobox", name="Language").select_option("fr")
    expect(page).to_have_url(re.compile(r"language=fr"))
    expect(toggle).to_have_text("Filter and sort (1 filter on)")
    expect(page.get_by_role("button", name=re.compile("Remove the filter Language"))).to_be_visible()


# ---- The language filter, the library's name, help ----

def test_the_language_filter_lists_the_catalogs_languages(app_page, stack):
    page = app_page
    languages = api_get(page, stack, "/languages", per_page=100)["items"]
    load(page, f"{stack.url}/#/books", ".book-list > li")
    select = page.get_by_role("combobox", name="Language")
    expect(select.locator("option")).to_have_count(len(languages) + 1)
    options = select.locator("option").evaluate_all("(nodes) => nodes.map((o) => [o.value, o.textContent])")
    assert options[0] == ["", "All languages"]
    assert sorted(value for value, _ in options[1:]) == sorted(item["code"] for item in languages)
    counts = {item["code"]: item["book_count"] for item in languages}
    for value, label in options[1:]:
        name = re.fullmatch(r"(.+) \((\d[\d,]*)\)", label)
        assert name and int(name[2].replace(",", "")) == counts[value], label
        assert name[1] != value and not re.fullmatch(r"[a-z]{2,3}", name[1]), label  # no bare codes
    names = [label for _, label in options[1:]]
    assert len(set(names)) == len(names) and names == sorted(names, key=str.casefold)

    french = api_get(page, stack, "/books", language="fr", per_page=1)["total"]
    select.select_option("fr")
    expect(page).to_have_url(re.compile(r"#/books\?language=fr$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text(str(french))


def test_the_library_name_is_in_the_header_and_the_page_titles(app_page, stack):
    page = app_page
    admin = stack.login("admin")
    settings = f"{stack.url}/api/v1/settings"
    before = admin.get(settings, timeout=30).json()["library_name"]
    name = "Hill <School> Library & Archive"
    assert admin.patch(settings, json={"library_name": name}, timeout=30).status_code == 200
    try:
        book = a_book(page, stack)
        load(page, f"{stack.url}/#/books", ".book-list > li")
        expect(page.get_by_role("banner").get_by_role("link", name=re.compile(re.escape(name)))).to_be_visible()
        expect(page).to_have_title(f"Catalog · {name}")
        expect(page.get_by_role("contentinfo")).to_contain_text(name)
        page.get_by_role("link", name=book["title"], exact=True).first.click()
        expect(page).to_have_title(f"{book['title']} · {name}")
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            screenshot(page, f"layout-library-name-{size}")
        # On a phone the book's facts take the page's width below the cover (beside it, words broke letter by
        # letter: "Oxford Universit y Press").
        page.set_viewport_size(PHONE)
        facts, cover = page.locator(".facts").bounding_box(), page.locator(".book-cover").bounding_box()
        assert facts["width"] >= PHONE["width"] - 64 and facts["y"] >= cover["y"] + cover["height"], (facts, cover)
    finally:
        assert admin.patch(settings, json={"library_name": before}, timeout=30).status_code == 200


def test_the_help_page_is_linked_from_the_footer(app_page, stack):
    page = app_page
    load(page, f"{stack.url}/#/books", ".book-list > li")
    page.get_by_role("contentinfo").get_by_role("link", name="Help for librarians").click()
    expect(heading(page)).to_have_text("Help for librarians")
    expect(page).to_have_title("Help for librarians · Library")
    for topic in ("The circulation desk", "Holds and the pull list", "The hold shelf", "Barcodes and labels",
                  "How a member gets a login", "Settings"):
        expect(page.get_by_role("heading", level=2, name=topic)).to_be_visible()
    expect(page.get_by_role("term").filter(has_text="Alt+C")).to_be_visible()
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        check_axe(page, f"help ({size})")
        screenshot(page, f"layout-help-{size}")
