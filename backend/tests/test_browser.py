"""The catalog in a real Chromium through the real stack (nginx -> gunicorn -> PostgreSQL, demo data).

Search as you type: a typo, its "did you mean", the matched word marked, a facet as an active filter, pages by
cursor, all in the URL. A librarian's round trip: search and open a book; log in, add one, first with a bad
ISBN that the server rejects (the error shows next to the ISBN field), find it, edit it, delete it. Accounts:
what visitors, members, librarians and admins see; logging out (the API then refuses the writes); a session
that ends mid-use (back to the login page, then back to the page); the account page (password, API tokens
shown once, revoked); the admin's users pages; failed and throttled logins. Circulation: the desk by keyboard
(check out, return, the hold shelf), a member's loans, renewals and holds, copies on the book page, members.
axe-core checks every view in light and dark mode, screenshots are saved at phone and desktop widths, and any
console error (a CSP violation is one) fails the test that caused it.

Logins go through the login form, from 127.0.0.1: nginx allows a burst of 20 there, then 10 a minute, so
the tests log in only when they need to, and the throttling test runs last.
"""

import random
import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import (
    VIEWPORTS, account_nav, act_as, api_get, check_axe, csrf_headers, fill_login, heading, log_in, log_out,
    main_nav, new_book, screenshot, unused_isbn13,
)

pytestmark = [pytest.mark.browser, pytest.mark.nginx]

BAD_ISBN = "978-0-306-40615-8"  # 978-0-306-40615-7 with a wrong check digit


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


def typo_of(word):
    """The word with two neighbouring letters swapped in its middle (one edit away, as "did you mean" finds)."""
    i = len(word) // 2
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


@pytest.fixture
def search_books(stack):
    """Three books that share an invented title word (so a typo of it has one close word), in two languages
    and two decades; made through the API as the librarian. Returns (word, [book, ...])."""
    word = "Thornquill" + "".join(random.choice("bcdfghjkmnpqrstvwxz") for _ in range(5))
    librarian = stack.login("librarian")
    books = []
    for title, language, year, author in [(f"The {word} Chronicles", "en", 1964, "Edda Searchfield"),
                                          (f"{word} Rising", "en", 1971, "Edda Searchfield"),
                                          (f"Le Retour de {word}", "fr", 1968, "Odile Trouvé")]:
        response = librarian.post(f"{stack.url}/api/v1/books", timeout=30, json={
            "title": title, "language": language, "published_year": year, "authors": [{"name": author}],
            "subjects": ["Invented worlds"]})
        assert response.status_code == 201, response.text
        books.append(response.json())
    return word, books


def test_search_as_you_type_did_you_mean_highlights_and_facets(app_page, stack, search_books):
    """Type a title word with a typo, take the "did you mean", see the word marked in the results, narrow
    them with a facet (shown as an active filter), page through them by cursor, and open one."""
    page = app_page
    word, books = search_books
    box = page.get_by_role("searchbox", name="Search")
    results = page.locator(".book-list > li")
    summary = page.get_by_role("heading", level=2)

    page.goto(stack.url + "/#/books")
    expect(results.first).to_be_visible()
    box.press_sequentially(typo_of(word), delay=40)  # no Enter: the list follows the typing
    expect(page).to_have_url(re.compile(r"#/books\?q=" + typo_of(word) + "$"))
    expect(page.get_by_text("No books found.")).to_be_visible()
    expect(summary).to_have_text("No books")
    suggestion = page.get_by_role("link", name=word.lower(), exact=True)
    expect(suggestion).to_be_visible()
    expect(page.locator(".did-you-mean")).to_contain_text(f"Did you mean {word.lower()}?")
    expect(page.locator("#announcer")).to_contain_text(f"Did you mean “{word.lower()}”?")
    expect(box).to_be_focused()  # typing kept the focus in the box
    suggestion.click()

    expect(page).to_have_url(re.compile(r"#/books\?q=" + word.lower() + "$"))
    expect(box).to_have_value(word.lower())
    expect(summary).to_have_text("3 books")
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("relevance")
    for book in books:
        expect(page.get_by_role("link", name=book["title"], exact=True)).to_be_visible()
    # The matched word is marked (text nodes and <mark>, whatever the case of the q).
    marks = page.locator(".book-list mark")
    expect(marks).to_have_count(3)
    expect(marks.first).to_have_text(word)
    expect(page.locator("[aria-busy=true]")).to_have_count(0)

    # Facets: languages and decades of these three books, as buttons with counts.
    facets = page.locator(".facets")
    expect(facets.get_by_role("button", name="English 2 books")).to_be_visible()
    expect(facets.get_by_role("button", name="1960s 2 books")).to_be_visible()
    check_axe(page, "search with results and facets (light)")
    page.emulate_media(color_scheme="dark")
    check_axe(page, "search with results and facets (dark)")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"search-{size}-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(VIEWPORTS["desktop"])

    # By keyboard: the French facet filters; it stays focused, pressed, and is listed as an active filter.
    french = facets.get_by_role("button", name=re.compile(r"^French"))
    french.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#/books\?q=" + word.lower() + "&language=fr$"))
    expect(summary).to_have_text("1 book")
    expect(french).to_have_attribute("aria-pressed", "true")
    expect(french).to_be_focused()
    active = page.get_by_role("list", name="Filtered by")
    expect(active.get_by_role("button")).to_have_text(["Remove the filter Language: French ×"])
    expect(page.get_by_role("link", name=books[2]["title"], exact=True)).to_be_visible()
    expect(results).to_have_count(1)
    expect(page.locator("#announcer")).to_have_text("1 book.")

    # The state is in the URL: back and forward, and a reload, restore it.
    page.go_back()
    expect(summary).to_have_text("3 books")
    expect(active).to_have_count(0)
    page.go_forward()
    expect(summary).to_have_text("1 book")
    page.reload()
    expect(active.get_by_role("button")).to_have_count(1)
    expect(box).to_have_value(word.lower())

    # Removing the chip removes the filter.
    active.get_by_role("button", name=re.compile("Language: French")).click()
    expect(page).to_have_url(re.compile(r"#/books\?q=" + word.lower() + "$"))
    expect(summary).to_have_text("3 books")

    # Next pages by cursor: the cursor and the page number are in the URL, so a reload shows the same page.
    page.goto(f"{stack.url}/#/books?q={word.lower()}&sort=title&per_page=1")
    expect(summary).to_have_text("Books 1–1 of 3")
    first_title = results.first.get_by_role("link").inner_text()
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2&per_page=1&cursor=[^&]+$"))
    expect(summary).to_have_text("Books 2–2 of 3")
    expect(page.get_by_text("Page 2 of 3", exact=True)).to_be_visible()
    second_title = results.first.get_by_role("link").inner_text()
    assert second_title != first_title
    page.reload()
    expect(results.first.get_by_role("link")).to_have_text(second_title)
    page.get_by_role("link", name="Previous").click()
    expect(results.first.get_by_role("link")).to_have_text(first_title)

    # Open a result: the book's page.
    page.get_by_role("link", name=first_title, exact=True).click()
    expect(page).to_have_url(re.compile(r"#/books/\d+$"))
    expect(heading(page)).to_have_text(first_title)


def test_add_edit_and_delete_a_book(app_page, stack):
    page = app_page
    isbn = unused_isbn13(page, stack)
    token = uuid.uuid4().hex[:8]
    title = f"Browser <Test> & {token}"  # markup in data must show as text, never as HTML

    log_in(page, stack, "librarian")
    main_nav(page).get_by_role("link", name="Add a book").click()
    expect(heading(page)).to_have_text("Add a book")
    expect(heading(page)).to_be_focused()
    title_input = page.get_by_role("textbox", name=re.compile(r"^Title"))
    isbn_input = page.get_by_role("textbox", name="ISBN", exact=True)
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
    log_in(page, stack, "librarian", start="#/books/new")
    expect(heading(page)).to_have_text("Add a book")
    page.get_by_role("textbox", name=re.compile(r"^Title")).fill("Duplicate ISBN")
    page.get_by_role("textbox", name="ISBN", exact=True).fill(taken["isbn"])
    page.get_by_role("button", name="Add book").click()
    expect(page.locator("#book-isbn-error")).to_contain_text(taken["isbn"])
    expect(page.get_by_role("textbox", name="ISBN", exact=True)).to_have_attribute("aria-invalid", "true")


def test_unknown_routes_show_not_found(app_page, stack):
    page = app_page
    page.goto(stack.url + "/#/no/such/page")
    expect(heading(page)).to_have_text("Page not found")
    page.goto(stack.url + "/#/authors/999999999")
    expect(heading(page)).to_have_text("Author not found")
    page.get_by_role("link", name="Browse the catalog").click()
    expect(heading(page)).to_have_text("Catalog")


def check_views(page, stack, views, scheme):
    """Load each view fresh at phone and desktop widths: axe at desktop width, a screenshot at both."""
    for name, (route, title) in views.items():
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(f"{stack.url}/{route}")
            page.reload()  # a fresh load, like a shared link
            expect(heading(page)).to_have_text(title)
            expect(page.locator("[aria-busy=true]")).to_have_count(0)
            if name in ("list", "author"):
                expect(page.locator(".book-list > li").first).to_be_visible()
            if name == "users":
                expect(page.locator(".cards > li, .empty").first).to_be_visible()
            if name == "account":
                expect(page.get_by_text("For developers")).to_be_visible()
            if size == "desktop":
                check_axe(page, f"{name} ({scheme})")
            screenshot(page, f"{name}-{size}-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_view_is_accessible(app_page, stack, scheme):
    page = app_page
    page.emulate_media(color_scheme=scheme)
    book = next(b for b in api_get(page, stack, "/books", per_page=50)["items"] if b["authors"] and b["subjects"])
    author = book["authors"][0]
    check_views(page, stack, {
        "list-anonymous": ("#/books", "Catalog"),
        "detail-anonymous": (f"#/books/{book['id']}", book["title"]),
        "login": ("#/login", "Log in"),
        "needs-login": ("#/books/new", "Log in as a librarian to continue"),
        "not-found": ("#/nowhere", "Page not found"),
    }, scheme)

    # The login form with the server's answer on it.
    page.goto(f"{stack.url}/#/login")
    fill_login(page, "nobody@stack.test", "not the password")
    expect(page.locator(".error-summary")).to_contain_text("Incorrect email or password.")
    check_axe(page, f"login failed ({scheme})")
    screenshot(page, f"login-failed-desktop-{scheme}")

    # An admin sees every page (and can do everything a librarian can).
    email, _ = log_in(page, stack, "admin")
    check_views(page, stack, {
        "list": ("#/books", "Catalog"),
        "detail": (f"#/books/{book['id']}", book["title"]),
        "form": ("#/books/new", "Add a book"),
        "edit": (f"#/books/{book['id']}/edit", f"Edit “{book['title']}”"),
        "author": (f"#/authors/{author['id']}", author["name"]),
        "account": ("#/account", "Your account"),
        "users": ("#/admin/users", "Users"),
        "user-new": ("#/admin/users/new", "Add a user"),
    }, scheme)

    # The form with the server's errors on it, and the delete dialog.
    page.goto(f"{stack.url}/#/books/new")
    page.get_by_role("textbox", name="ISBN", exact=True).fill(BAD_ISBN)
    page.get_by_role("textbox", name="Year published").fill("next year")
    page.get_by_role("button", name="Add book").click()
    expect(page.locator("#book-isbn-error")).to_be_visible()
    expect(page.locator("#book-title-error")).to_be_visible()
    check_axe(page, f"form with errors ({scheme})")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"form-errors-{size}-{scheme}")

    bare = new_book(stack)  # no copies: it can be deleted (a book whose copies circulate cannot)
    page.goto(f"{stack.url}/#/books/{bare['id']}")
    page.get_by_role("button", name=re.compile(r"^Delete")).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    check_axe(page, f"delete dialog ({scheme})")
    screenshot(page, f"dialog-desktop-{scheme}")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile(r"^Delete"))).to_be_focused()

    # The account page with a new token on show and the password form's errors, then the revoke dialog.
    page.goto(f"{stack.url}/#/account")
    page.get_by_text("For developers").click()
    page.get_by_role("textbox", name="Name").fill(f"axe {scheme}")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("textbox", name="Token")).to_have_value(re.compile(r".{43,}"))
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-current-error")).to_be_visible()
    check_axe(page, f"account with a new token and errors ({scheme})")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"account-token-{size}-{scheme}")
    page.get_by_role("button", name=f"Revoke “axe {scheme}”").click()
    expect(page.get_by_role("dialog", name="Revoke this token?")).to_be_visible()
    check_axe(page, f"revoke dialog ({scheme})")
    screenshot(page, f"revoke-dialog-desktop-{scheme}")
    page.get_by_role("dialog").get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("button", name=f"Revoke “axe {scheme}”")).to_have_count(0)

    # The user page, showing the API's refusal of an admin demoting themselves (after the confirmation dialog).
    me = next(u for u in api_get(page, stack, "/users", q=email)["items"] if u["email"] == email)
    page.goto(f"{stack.url}/#/admin/users/{me['id']}")
    page.get_by_role("combobox", name="Role").select_option("member")
    page.get_by_role("button", name="Save changes").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("logged out everywhere")
    check_axe(page, f"user demote dialog ({scheme})")
    screenshot(page, f"user-dialog-desktop-{scheme}")
    dialog.get_by_role("button", name="Change role").click()
    expect(page.locator(".error-summary")).to_contain_text("yourself")
    check_axe(page, f"user page with an error ({scheme})")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"user-error-{size}-{scheme}")


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


def test_keyboard_only_login_and_logout(app_page, stack):
    page = app_page
    email, password = stack.users["librarian"]
    page.goto(f"{stack.url}/#/login?next=%23%2Fbooks%2Fnew")
    expect(heading(page)).to_have_text("Log in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(heading(page)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Email address")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Add a book")
    expect(heading(page)).to_be_focused()

    logout = account_nav(page).get_by_role("button", name="Log out")
    logout.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("You have logged out.")
    expect(heading(page)).to_have_text("Catalog")
    expect(heading(page)).to_be_focused()


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
    # Swagger UI draws a long operation list lazily (only what is on screen), so the test
    # follows a deep link, as a reader of the docs would, to reach an operation far down.
    app_page.goto(f"{stack.url}/api/docs#/books/getBook")
    expect(app_page.locator(".swagger-ui .info .title")).to_contain_text("Library API")
    operation = app_page.locator("#operations-books-getBook")
    expect(operation).to_be_visible()
    expect(operation).to_contain_text("/api/v1/books/{book_id}")
    expect(operation.get_by_role("button", name="Try it out")).to_be_visible()
    assert all(url.startswith(stack.url) or url.startswith("data:") for url in requests_seen), requests_seen
    screenshot(app_page, "api-docs")


def test_a_librarian_adds_a_book_then_logs_out_and_the_api_refuses_writes(app_page, stack, playwright):
    """The issue's acceptance flow."""
    page = app_page
    token = uuid.uuid4().hex[:8]
    title = f"Logged out {token}"

    # Visitors see the catalog but no way to change it.
    page.goto(stack.url + "/#/books")
    expect(heading(page)).to_have_text("Catalog")
    expect(account_nav(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(main_nav(page).get_by_role("link", name="Add a book")).to_have_count(0)

    log_in(page, stack, "librarian")
    expect(account_nav(page)).to_contain_text("Stack librarian")
    expect(main_nav(page).get_by_role("link", name="Admin")).to_have_count(0)
    main_nav(page).get_by_role("link", name="Add a book").click()
    page.get_by_role("textbox", name=re.compile(r"^Title")).fill(title)
    page.get_by_role("button", name="Add book").click()
    expect(heading(page)).to_have_text(title)
    book_url = page.url
    book_id = int(book_url.rsplit("/", 1)[1])
    expect(page.get_by_role("link", name=re.compile(r"^Edit"))).to_be_visible()

    log_out(page)
    expect(page).to_have_url(re.compile(r"#/books$"))
    page.goto(book_url)
    expect(heading(page)).to_have_text(title)
    expect(page.get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Delete"))).to_have_count(0)

    # The API agrees: this browser (its cookie is gone) and a client with no credentials at all get 401.
    patch = {"title": "Hijacked"}
    assert page.request.patch(f"{stack.url}/api/v1/books/{book_id}", data=patch).status == 401
    status = page.evaluate("""async (url) => (await fetch(url, {method: "PATCH",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({title: "Hijacked"})})).status""",
                           f"/api/v1/books/{book_id}")
    assert status == 401
    anonymous = playwright.request.new_context()
    try:
        assert anonymous.patch(f"{stack.url}/api/v1/books/{book_id}", data=patch).status == 401
        assert anonymous.delete(f"{stack.url}/api/v1/books/{book_id}").status == 401
    finally:
        anonymous.dispose()
    assert api_get(page, stack, f"/books/{book_id}")["title"] == title

    # The edit page itself explains what is needed, with a way to log in that comes back here.
    page.goto(f"{book_url}/edit")
    expect(heading(page)).to_have_text("Log in as a librarian to continue")
    expect(page.get_by_role("main").get_by_role("link", name="Log in")).to_have_attribute(
        "href", f"#/login?next=%23%2Fbooks%2F{book_id}%2Fedit")


def test_a_member_cannot_change_the_catalog(app_page, stack):
    page = app_page
    book = api_get(page, stack, "/books", per_page=1)["items"][0]
    log_in(page, stack, "member", start=f"#/books/{book['id']}")
    expect(page).to_have_url(re.compile(rf"#/books/{book['id']}$"))
    expect(heading(page)).to_have_text(book["title"])
    expect(account_nav(page).get_by_role("link", name="Account")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Delete"))).to_have_count(0)
    expect(main_nav(page).get_by_role("link", name="Add a book")).to_have_count(0)
    expect(main_nav(page).get_by_role("link", name="Admin")).to_have_count(0)

    page.goto(f"{stack.url}/#/books/{book['id']}/edit")
    expect(heading(page)).to_have_text("This page needs a librarian")
    expect(page.get_by_role("main")).to_contain_text("You are logged in as a member")
    expect(page.get_by_role("textbox", name=re.compile(r"^Title"))).to_have_count(0)
    page.goto(f"{stack.url}/#/admin/users")
    expect(heading(page)).to_have_text("This page needs an admin")


def test_logging_in_from_a_page_that_needs_it_comes_back_to_it(app_page, stack):
    page = app_page
    book = api_get(page, stack, "/books", per_page=1)["items"][0]
    page.goto(f"{stack.url}/#/books/{book['id']}/edit")
    expect(heading(page)).to_have_text("Log in as a librarian to continue")
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"#/login\?next="))
    expect(heading(page)).to_be_focused()
    fill_login(page, *stack.users["librarian"])
    expect(heading(page)).to_have_text(f"Edit “{book['title']}”")
    expect(page).to_have_url(re.compile(rf"#/books/{book['id']}/edit$"))
    # Back does not return to the login form.
    page.go_back()
    expect(heading(page)).not_to_have_text("Log in")


def test_login_never_sends_the_user_to_another_site(app_page, stack):
    """next= only ever names a page of this app (the unit tests cover the other tricks)."""
    page = app_page
    page.goto(f"{stack.url}/#/login?next=https%3A%2F%2Fevil.example%2F")
    fill_login(page, *stack.users["member"])
    expect(page).to_have_url(f"{stack.url}/#/books")
    expect(heading(page)).to_have_text("Catalog")


def test_an_admin_manages_users(app_page, stack):
    page = app_page
    log_in(page, stack, "admin")
    main_nav(page).get_by_role("link", name="Admin").click()
    expect(heading(page)).to_have_text("Users")
    expect(heading(page)).to_be_focused()
    expect(page.get_by_role("heading", level=3, name="Stack librarian")).to_be_visible()

    # Filter by role: the URL holds the state.
    page.get_by_role("combobox", name="Role").select_option("member")
    expect(page).to_have_url(re.compile(r"#/admin/users\?role=member$"))
    expect(page.get_by_role("heading", level=3, name="Stack member")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Stack librarian")).to_have_count(0)

    # Add a user: the server's password rule shows on the field, then it works.
    email = f"new-{uuid.uuid4().hex[:8]}@stack.test"
    page.get_by_role("link", name="Add a user").click()
    expect(heading(page)).to_have_text("Add a user")
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_role("textbox", name="Display name").fill("New <Person>")
    page.get_by_role("combobox", name="Role").select_option("librarian")
    password = page.get_by_label("Password", exact=True)
    password.fill("short")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#new-user-password-error")).to_be_visible()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-summary")).to_be_focused()
    password.fill(f"a long enough passphrase {uuid.uuid4().hex[:6]}")
    expect(page.get_by_role("checkbox", name="Temporary password")).to_be_checked()
    page.get_by_role("button", name="Add user").click()
    expect(heading(page)).to_have_text("New <Person>")  # the new user's page
    expect(page.get_by_role("status").first).to_contain_text(f"Added New <Person> ({email}) as a librarian.")
    expect(page.get_by_role("main")).to_contain_text("Temporary: they choose their own at their next login")

    # The same email again is refused on the email field.
    page.goto(f"{stack.url}/#/admin/users/new")
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_role("textbox", name="Display name").fill("Twin")
    page.get_by_label("Password", exact=True).fill("another long passphrase")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#new-user-email-error")).to_contain_text("already exists")

    # On the user's page from the list: demote to member and disable, after confirming.
    page.goto(f"{stack.url}/#/admin/users?q={email}")
    page.get_by_role("link", name="New <Person>").click()
    expect(heading(page)).to_have_text("New <Person>")
    page.get_by_role("combobox", name="Role").select_option("member")
    page.get_by_role("checkbox", name="Account active").uncheck()
    page.get_by_role("button", name="Save changes").click()
    dialog = page.get_by_role("dialog", name="Disable New <Person>’s account?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Disable account").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Saved changes to New <Person>.")).to_be_focused()
    badges = page.locator(".view-user .badges")
    expect(badges).to_contain_text("Member")
    expect(badges).to_contain_text("Disabled")
    user = next(u for u in api_get(page, stack, "/users", q=email)["items"] if u["email"] == email)
    assert user["role"] == "member" and user["is_active"] is False


def test_the_account_page_changes_the_password_and_manages_tokens(app_page, stack):
    page = app_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    email, password = stack.create_user(f"tokens-{uuid.uuid4().hex[:8]}@stack.test", "librarian", name="Token Tester")
    log_in(page, stack, (email, password))
    account_nav(page).get_by_role("link", name="Account").click()
    expect(heading(page)).to_have_text("Your account")
    expect(page.get_by_role("main")).to_contain_text(email)
    expect(page.get_by_text("You have no API tokens.")).to_be_hidden()  # under "For developers", closed
    page.get_by_text("For developers").click()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()

    # Password: the server's field errors, then a change (the session id rotates, with a new CSRF token).
    current = page.get_by_label("Current password")
    new = page.get_by_label("New password")
    current.fill("not my password")
    new.fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-current-error")).to_contain_text("not your current password")
    expect(page.locator("#password-new-error")).to_be_visible()
    expect(current).to_have_attribute("aria-invalid", "true")
    new_password = f"a brand new passphrase {uuid.uuid4().hex[:6]}"
    current.fill(password)
    new.fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    expect(page.locator("#password-current-error")).to_have_count(0)
    expect(current).to_have_value("")

    # A token: only the scopes a librarian may give; the secret is shown once and works as a bearer token.
    expect(page.get_by_role("checkbox")).to_have_count(2)
    expect(page.get_by_role("checkbox", name=re.compile(r"^Read"))).to_be_checked()
    page.get_by_role("textbox", name="Name").fill("Nightly export")
    page.get_by_role("checkbox", name=re.compile(r"^Write")).check()
    page.get_by_role("textbox", name="Expires after (days)").fill("400")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#token-days-error")).to_be_visible()
    page.get_by_role("textbox", name="Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()  # a write with the rotated CSRF token
    secret_box = page.get_by_role("textbox", name="Token")
    expect(secret_box).to_have_value(re.compile(r"^[A-Za-z0-9_-]{43,}$"))
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    secret = secret_box.input_value()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    item = page.locator(".cards > li", has=page.get_by_role("heading", name="Nightly export"))
    expect(item).to_contain_text("read, write")
    expect(item).to_contain_text("Never used")

    bearer = {"Authorization": f"Bearer {secret}"}
    me = page.request.get(f"{stack.url}/api/v1/auth/me", headers=bearer)
    assert me.ok and me.json()["via"] == "token" and me.json()["user"]["email"] == email

    # Shown once: after a reload the token is listed but its secret is nowhere on the page.
    page.reload()
    page.get_by_text("For developers").click()
    expect(page.locator(".cards > li", has=page.get_by_role("heading", name="Nightly export"))).to_be_visible()
    expect(page.get_by_role("textbox", name="Token")).to_be_hidden()
    assert secret not in page.content()

    # Revoke, after confirming; the token stops working.
    page.get_by_role("button", name="Revoke “Nightly export”").click()
    dialog = page.get_by_role("dialog", name="Revoke this token?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name="Revoke “Nightly export”")).to_be_focused()
    page.get_by_role("button", name="Revoke “Nightly export”").click()
    dialog.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("status").filter(has_text="Revoked “Nightly export”.")).to_be_visible()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    assert page.request.get(f"{stack.url}/api/v1/auth/me", headers=bearer).status == 401


def test_a_session_that_ends_mid_use_logs_in_again_and_comes_back(app_page, stack):
    page = app_page
    book = new_book(stack, subtitle="Mid-use")
    log_in(page, stack, "librarian", start=f"#/books/{book['id']}")
    page.get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(heading(page)).to_have_text(f"Edit “{book['title']}”")

    # The session ends on the server while the browser still holds its cookie (as when it expires).
    cookies = page.context.cookies(stack.url)
    response = page.request.post(f"{stack.url}/api/v1/auth/logout", headers=csrf_headers(page, stack))
    assert response.status == 204
    page.context.add_cookies(cookies)

    page.get_by_role("textbox", name=re.compile(r"^Title")).fill(f"{book['title']} (edited)")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(r"#/login\?next=%23%2Fbooks%2F" + str(book["id"]) + r"%2Fedit$"))
    expect(heading(page)).to_have_text("Log in")
    expect(page.get_by_role("status").first).to_contain_text("Your session has ended")
    expect(account_nav(page).get_by_role("link", name="Log in")).to_be_visible()

    fill_login(page, *stack.users["librarian"])
    expect(page).to_have_url(re.compile(rf"#/books/{book['id']}/edit$"))
    expect(heading(page)).to_have_text(f"Edit “{book['title']}”")
    page.get_by_role("textbox", name=re.compile(r"^Title")).fill(f"{book['title']} (edited)")
    page.get_by_role("button", name="Save changes").click()
    expect(heading(page)).to_have_text(f"{book['title']} (edited)")


def test_a_stale_csrf_token_is_fetched_again(app_page, stack):
    """Logging in again elsewhere in the browser (another tab) rotates the session, so the page's CSRF token no
    longer matches: the write is refused with 400, the page fetches a fresh token and the retry succeeds."""
    page = app_page
    book = new_book(stack)
    email, password = log_in(page, stack, "librarian", start=f"#/books/{book['id']}/edit")
    expect(heading(page)).to_have_text(f"Edit “{book['title']}”")
    response = page.request.post(f"{stack.url}/api/v1/auth/login", data={"email": email, "password": password})
    assert response.ok, response.text()

    calls = []
    page.on("response", lambda r: calls.append((r.request.method, r.url.removeprefix(stack.url), r.status))
            if "/api/" in r.url else None)
    page.get_by_role("textbox", name=re.compile(r"^Title")).fill(f"{book['title']} (retried)")
    page.get_by_role("button", name="Save changes").click()
    expect(heading(page)).to_have_text(f"{book['title']} (retried)")
    assert calls[:3] == [("PATCH", f"/api/v1/books/{book['id']}", 400), ("GET", "/api/v1/auth/csrf", 200),
                         ("PATCH", f"/api/v1/books/{book['id']}", 200)], calls


# ---- Circulation: the desk, a member's loans and holds, copies on the book page, members ----

@pytest.fixture(scope="module")
def library(stack):
    """Arranged through the API: a library card linked to stack.users["member"]'s account, another member,
    and three new books: A and B with two copies each, C with one copy that the other member has on loan."""
    api = f"{stack.url}/api/v1"
    admin, librarian = stack.login("admin"), stack.login("librarian")
    email = stack.users["member"][0]
    users = admin.get(f"{api}/users", params={"q": email}, timeout=30).json()["items"]
    user = next(u for u in users if u["email"] == email)
    tag = uuid.uuid4().hex[:6].upper()

    def post(path, body):
        response = librarian.post(f"{api}{path}", json=body, timeout=30)
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    member = post("/members", {"card_number": f"C-{tag}", "name": f"Mina Reader {tag}", "email": email,
                               "phone": None, "user_id": user["id"]})
    other = post("/members", {"card_number": f"O-{tag}", "name": f"Otto Other {tag}", "email": None, "phone": None})
    books = {}
    for name, count in (("A", 2), ("B", 2), ("C", 1)):
        book = post("/books", {"title": f"Circulation {name} {tag}"})
        book["barcodes"] = [post(f"/books/{book['id']}/copies", {"barcode": f"{name}-{tag}-{n}", "location": "Main floor",
                                                                 "call_number": f"TST {name}"})["barcode"]
                            for n in range(1, count + 1)]
        books[name] = book
    post("/loans", {"barcode": books["C"]["barcodes"][0], "card_number": other["card_number"]})
    return {"member": member, "other": other, "books": books, "tag": tag}


def desk_scan(page, barcode):
    """Type a barcode into the focused desk field and press Enter, as a scanner does."""
    expect(page.get_by_role("textbox", name=re.compile(r"^(2 )?Barcode to"))).to_be_focused()
    page.keyboard.type(barcode)
    page.keyboard.press("Enter")


def test_checkouts_returns_renewals_and_holds(app_page, stack, signed_in, library):
    """The issue's flow: at the desk a librarian checks out two copies to a member and takes one back; the
    member sees one loan, renews it and places a hold; the held copy coming back goes to the hold shelf."""
    page = app_page
    member, books = library["member"], library["books"]
    a, b, c = books["A"], books["B"], books["C"]

    # The desk, by keyboard only: the card number first ...
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/books")
    main_nav(page).get_by_role("link", name="Desk").click()
    expect(heading(page)).to_have_text("Circulation desk")
    page.reload()  # a fresh load, like a desk terminal starting the day: the card field has the focus
    card_field = page.get_by_role("textbox", name=re.compile(r"Card number or name$"))
    expect(card_field).to_be_focused()
    page.keyboard.type(f"NO-SUCH-{library['tag']}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("No member has the card number or name")
    expect(card_field).to_be_focused()
    page.keyboard.type(member["card_number"])  # the field's text was selected: typing replaces it
    page.keyboard.press("Enter")
    panel = page.locator(".member-panel")
    expect(panel).to_contain_text(member["name"])
    expect(panel).to_contain_text("0 of 5 loans")
    expect(page).to_have_url(re.compile(r"#/desk\?card=" + re.escape(member["card_number"]) + "$"))

    # ... then each scan is a checkout, logged with its due date; refusals are alerts with the API's detail.
    log = page.locator(".log-list > li")
    desk_scan(page, a["barcodes"][0])
    expect(log.first).to_contain_text(f"Checked out {a['title']} ({a['barcodes'][0]}) to {member['name']}")
    expect(log.first).to_contain_text(re.compile(r"Due \d{1,2} \w+ \d{4}"))
    desk_scan(page, b["barcodes"][0])
    expect(log).to_have_count(2)
    expect(log.first).to_contain_text(b["title"])
    desk_scan(page, a["barcodes"][0])
    expect(log.first.get_by_role("alert")).to_contain_text(f"Checkout of {a['barcodes'][0]} refused:")
    expect(log.first.get_by_role("alert")).to_contain_text("already on loan")
    desk_scan(page, f"NOPE-{library['tag']}")
    expect(log.first.get_by_role("alert")).to_contain_text(f"No copy with barcode NOPE-{library['tag']}")
    expect(page.get_by_role("textbox", name=re.compile(r"Barcode to check out$"))).to_have_value("")
    expect(panel).to_contain_text("2 of 5 loans")
    check_axe(page, "desk with a member and a log")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"desk-checkout-{size}")

    # Returns: Alt+R switches the mode (the radio follows) and focuses the barcode field.
    page.keyboard.press("Alt+r")
    expect(page.get_by_role("radio", name="Return")).to_be_checked()
    expect(page).to_have_url(re.compile(r"#/desk\?mode=return$"))
    desk_scan(page, a["barcodes"][0])
    expect(log.first).to_contain_text(f"Returned {a['title']} ({a['barcodes'][0]}) from {member['name']}")
    expect(log.first.locator(".hold-shelf")).to_have_count(0)
    desk_scan(page, a["barcodes"][0])
    expect(log.first.get_by_role("alert")).to_contain_text("not on loan")

    loans = page.request.get(f"{stack.url}/api/v1/loans", params={"member_id": member["id"], "active": "true"}).json()
    assert [loan["barcode"] for loan in loans["items"]] == [b["barcodes"][0]]

    # The member: one loan; renew it.
    act_as(page, signed_in, "member")
    page.goto(f"{stack.url}/#/books")
    account_nav(page).get_by_role("link", name="My loans").click()
    expect(heading(page)).to_have_text("My loans")
    expect(heading(page)).to_be_focused()
    cards = page.locator(".loan-card")
    expect(cards).to_have_count(1)
    expect(cards.first.get_by_role("link", name=b["title"])).to_be_visible()
    expect(cards.first).to_contain_text(re.compile(r"Due \d{1,2} \w+ \d{4}"))
    expect(cards.first).to_contain_text("Not renewed yet (2 renewals allowed)")
    cards.first.get_by_role("button", name=re.compile(rf"^Renew until .*: “{re.escape(b['title'])}”$")).click()
    expect(page.get_by_role("status").filter(has_text=f"Renewed “{b['title']}”: now due")).to_be_visible()
    expect(cards.first).to_contain_text("Renewed 1 of 2 times")
    renewed = page.request.get(f"{stack.url}/api/v1/loans", params={"active": "true"}).json()["items"]
    assert [(loan["barcode"], loan["renewals"]) for loan in renewed] == [(b["barcodes"][0], 1)]

    # A hold on C, whose only copy is out: the book page says so, without the copy's barcode for members.
    page.goto(f"{stack.url}/#/books/{c['id']}")
    expect(heading(page)).to_have_text(c["title"])
    expect(page.locator(".availability-line")).to_have_text("✗ None of 1 available")
    table = page.get_by_role("table", name="Copies")
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("On loan")
    expect(table).not_to_contain_text(c["barcodes"][0])
    page.get_by_role("button", name="Place hold").click()
    expect(page.locator(".hold-mine")).to_contain_text("Hold placed. You are 1st in line.")
    expect(page.locator(".hold-mine")).to_be_focused()
    expect(page.get_by_role("button", name="Place hold")).to_have_count(0)
    expect(page.locator(".availability-line")).to_contain_text("1 waiting")
    page.reload()
    expect(page.locator(".hold-mine")).to_contain_text("You have a hold on this book: 1st in line")

    page.goto(f"{stack.url}/#/me")
    hold = page.locator(".hold-card")
    expect(hold).to_have_count(1)
    expect(hold).to_contain_text("1st in line")

    # The held copy comes back: the desk says where it goes.
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/desk?mode=return")
    expect(page.get_by_role("textbox", name="Barcode to return")).to_be_focused()
    desk_scan(page, c["barcodes"][0])
    shelf = page.locator(".log-list > li").first.locator(".hold-shelf")
    expect(shelf).to_have_attribute("role", "alert")
    expect(shelf).to_contain_text(re.compile(rf"Put on hold shelf for {re.escape(member['name'])} \(pickup by \d{{1,2}} \w+ \d{{4}}\)"))
    screenshot(page, "desk-hold-shelf-desktop")

    # ... and the member's hold is ready.
    act_as(page, signed_in, "member")
    page.goto(f"{stack.url}/#/me")
    expect(page.locator(".hold-card")).to_contain_text(re.compile(r"Ready: pick up by \d{1,2} \w+ \d{4}"))


def test_copies_on_the_book_page_and_members_for_staff(app_page, stack, signed_in, library):
    page = app_page
    a, tag = library["books"]["A"], library["tag"]
    act_as(page, signed_in, "librarian")

    # Add a copy: a barcode in use is refused on the field, then a new one is listed; withdraw it.
    page.goto(f"{stack.url}/#/books/{a['id']}")
    table = page.get_by_role("table", name="Copies")
    expect(table).to_contain_text(a["barcodes"][0])
    page.get_by_text("Add a copy").click()
    barcode = page.get_by_role("textbox", name="Barcode")
    barcode.fill(a["barcodes"][0])
    page.get_by_role("button", name="Add copy").click()
    expect(page.locator("#copy-barcode-error")).to_contain_text("in use")
    expect(barcode).to_have_attribute("aria-invalid", "true")
    new = f"A-{tag}-9"
    barcode.fill(new)
    page.get_by_role("textbox", name="Shelf").fill("Stacks")
    page.get_by_role("button", name="Add copy").click()
    expect(page.get_by_role("status").filter(has_text=f"Added copy {new}.")).to_be_visible()
    expect(barcode).to_be_focused()
    expect(page.get_by_role("textbox", name="Shelf")).to_have_value("Stacks")  # kept for the next copy
    expect(table.get_by_role("row", name=re.compile(new))).to_contain_text("Available")
    page.get_by_role("button", name=f"Edit copy {new}").click()
    page.get_by_role("dialog", name=f"Copy {new}").get_by_role("button", name="Withdraw…").click()
    page.get_by_role("dialog", name=f"Withdraw copy {new}?").get_by_role("button", name="Withdraw").click()
    expect(table.get_by_role("row", name=re.compile(new))).to_contain_text("Withdrawn")
    expect(page.get_by_role("button", name=f"Edit copy {new}")).to_be_focused()

    # The catalog's "Available now" filter is in the URL.
    page.goto(f"{stack.url}/#/books?q=Circulation+C+{tag}")
    expect(page.locator(".book-list > li")).to_have_count(1)
    page.get_by_role("checkbox", name="Available now").check()
    expect(page).to_have_url(re.compile(r"available=true"))
    expect(page.get_by_text("No books found.")).to_be_visible()
    page.goto(f"{stack.url}/#/books?q=Circulation+A+{tag}&available=true")
    expect(page.locator(".book-list > li")).to_contain_text(re.compile(r"Available"))

    # Members: search, open one, a new member.
    main_nav(page).get_by_role("link", name="Members").click()
    expect(heading(page)).to_have_text("Members")
    page.get_by_role("searchbox", name="Name or card number").fill(library["member"]["card_number"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#/members\?q="))
    page.get_by_role("link", name=library["member"]["name"]).click()
    expect(heading(page)).to_have_text(library["member"]["name"])
    expect(page.get_by_role("link", name="Check out at the desk")).to_have_attribute(
        "href", f"#/desk?card={library['member']['card_number']}")

    page.goto(f"{stack.url}/#/members/new")
    page.get_by_role("textbox", name="Card number").fill(library["member"]["card_number"])
    page.get_by_role("textbox", name="Name").fill("Twin <Card>")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_role("textbox", name="Card number")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("textbox", name="Card number").fill(f"N-{tag}")
    page.get_by_role("button", name="Add member").click()
    expect(heading(page)).to_have_text("Twin <Card>")
    expect(page.get_by_role("status").first).to_contain_text(f"Added Twin <Card> with card N-{tag}.")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_circulation_views_are_accessible(app_page, stack, signed_in, library, scheme):
    page = app_page
    page.emulate_media(color_scheme=scheme)
    a, member = library["books"]["A"], library["member"]

    def check(views):
        for name, (route, title, ready) in views.items():
            for size, viewport in VIEWPORTS.items():
                page.set_viewport_size(viewport)
                page.goto(f"{stack.url}/{route}")
                page.reload()
                expect(heading(page)).to_have_text(title)
                expect(page.locator(ready).first).to_be_visible()
                expect(page.locator("[aria-busy=true]")).to_have_count(0)
                if size == "desktop":
                    check_axe(page, f"{name} ({scheme})")
                screenshot(page, f"{name}-{size}-{scheme}")

    act_as(page, signed_in, "librarian")
    check({
        "desk": ("#/desk", "Circulation desk", ".desk-step"),
        "members": ("#/members", "Members", ".member-list > li"),
        "member": (f"#/members/{member['id']}", member["name"], ".loan-card, .empty"),
        "member-new": ("#/members/new", "New member", "form"),
        "book-copies-staff": (f"#/books/{a['id']}", a["title"], ".copies-table"),
        "me-no-card": ("#/me", "My loans", ".empty"),
    })
    act_as(page, signed_in, "member")
    check({
        "me": ("#/me", "My loans", ".loan-card, .loan-list, .empty"),
        "book-copies-member": (f"#/books/{a['id']}", a["title"], ".copies-table"),
    })
    # A dialog: cancelling a hold asks first (the hold is placed through the API, as the member).
    c = library["books"]["C"]
    response = page.request.post(f"{stack.url}/api/v1/holds", data={"book_id": c["id"]}, headers=csrf_headers(page, stack))
    assert response.status in (201, 409), response.text()
    page.goto(f"{stack.url}/#/me")
    page.get_by_role("button", name=f"Cancel the hold on “{c['title']}”").click()
    dialog = page.get_by_role("dialog", name="Cancel this hold?")
    expect(dialog.get_by_role("button", name="Keep it")).to_be_focused()
    check_axe(page, f"cancel-hold dialog ({scheme})")
    screenshot(page, f"me-cancel-dialog-desktop-{scheme}")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name=f"Cancel the hold on “{c['title']}”")).to_be_focused()


def test_failed_and_throttled_logins_are_explained(app_page, stack):
    """Runs last: it spends a dozen of 127.0.0.1's logins at nginx."""
    page = app_page
    page.goto(f"{stack.url}/#/login")
    summary = page.locator(".error-summary")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(summary).to_be_focused()
    expect(page.locator("#login-email-error")).to_contain_text("Enter your email address.")
    expect(page.locator("#login-password-error")).to_contain_text("Enter your password.")
    expect(page.get_by_role("textbox", name="Email address")).to_have_attribute("aria-invalid", "true")

    email = f"throttled-{uuid.uuid4().hex[:8]}@stack.test"  # throttling is per account name, known or not
    fill_login(page, email, "wrong password")
    expect(summary).to_contain_text("Incorrect email or password.")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.locator("#login-email-error")).to_have_count(0)

    # More failures until the account's wait is 8 s (1, 2 and 4 s waits are sat out on the way) ...
    failures = 1
    while failures < 8:
        response = page.request.post(f"{stack.url}/api/v1/auth/login", data={"email": email, "password": "wrong"})
        if response.status == 429:
            time.sleep(int(response.headers["retry-after"]))
        else:
            assert response.status == 401, response.text()
            failures += 1
    # ... so the next attempt, even with a right password, is told how long to wait.
    fill_login(page, email, "any password")
    expect(summary).to_contain_text(re.compile(r"Too many attempts, try again in \d+ seconds?\."))
    expect(summary).to_be_focused()
    screenshot(page, "login-throttled-desktop")
