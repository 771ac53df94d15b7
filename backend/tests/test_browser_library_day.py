"""A library day as three people, in Chromium through nginx, gunicorn and PostgreSQL (issue 9's "Done when"):

the admin names the library and sets the loan rules on the settings page, and the header shows the name; a
librarian adds a member with a login and hands over the one-time link; the member, in a browser of their own,
sets their password with it, searches the catalog and places a hold on a book whose copy is on the shelf; the
librarian sees it on the pull list, prints its labels and captures the copy at the desk; the member sees it ready,
the librarian finds them by name and lends it; the member renews (by the new loan period, once, then no renewal is
offered); the librarian takes it back, moves a copy, adds a copy with the next barcode and deletes it, and merges
two authors; the admin makes a reset link on a user's page and reads the day in the audit trail. Only the
arrangements (a book with one copy, a misspelt author) and the checks of state go through the API. No page logs a
console error or gets a 4xx/5xx answer; screenshots in test-output/screenshots/day-*.png.
"""

import re
import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import (
    API_ERROR_LOG,
    VIEWPORTS,
    account_nav,
    act_as,
    api_get,
    check_views,
    desk_scan,
    go,
    heading,
    link_token,
    main_nav,
    screenshot,
)

pytestmark = pytest.mark.browser

LOAN_DAYS, RENEWALS = 10, 1  # the rule the admin sets (the defaults differ, so the test sees it applied)


@pytest.fixture
def day(stack):
    """Arranged through the API as the librarian: a book with one copy on the shelf by an author, and a second
    book by the same author under a misspelt name (to merge). The settings the admin changes are put back after."""
    api = f"{stack.url}/api/v1"
    librarian = stack.login("librarian")
    tag = uuid.uuid4().hex[:6].upper()

    def post(path, body):
        response = librarian.post(f"{api}{path}", json=body, timeout=30)
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    author = f"Marta Quill {tag}"
    book = post("/books", {"title": f"The Lantern Orchard {tag}", "authors": [{"name": author}]})
    copy = post(f"/books/{book['id']}/copies", {"barcode": f"LD-{tag}-1", "location": "Fiction", "call_number": "823 QUI"})
    misspelt = post("/books", {"title": f"Salt Roads {tag}", "authors": [{"name": f"Marta Quil {tag}"}]})
    admin = stack.login("admin")
    before = admin.get(f"{api}/settings", timeout=30).json()
    yield {"tag": tag, "book": book, "copy": copy, "misspelt": misspelt, "author": author,
           "typo": f"Marta Quil {tag}", "before": before}
    keys = ("library_name", "loan_days", "max_renewals")
    response = admin.patch(f"{api}/settings", json={k: before[k] for k in keys}, timeout=30)
    assert response.status_code == 200, response.text


def watch(page):
    """Console errors, page errors and 4xx/5xx answers of this page (an API error Chromium logs as a failed
    resource is counted as an answer, once); the caller asserts the list is empty."""
    problems = []

    def on_console(message):
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not (API_ERROR_LOG.match(message.text) and "/api/" in url):
            problems.append(f"console: {message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.request.method} {r.url}"))
    return problems


@pytest.fixture
def member_page(browser, stack):
    """The member's own browser: a fresh context without cookies, its console and answers watched too."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = watch(page)
    yield page
    context.close()
    assert problems == [], "the member's browser:\n" + "\n".join(problems)





def the_loan(page, stack, barcode):
    return next(item for item in api_get(page, stack, "/loans", active="true")["items"] if item["barcode"] == barcode)


def when(stamp):
    return datetime.fromisoformat(stamp)



def test_a_library_day_as_admin_librarian_and_member(app_page, member_page, stack, signed_in, day):
    page, mine, t = app_page, member_page, day["tag"]
    staff_problems = watch(page)  # app_page checks the console; this adds the pages' 4xx/5xx answers
    book, copy = day["book"], day["copy"]
    title, barcode = book["title"], copy["barcode"]
    library = f"Orchard Lane Library {t}"

    # --- Morning: the admin names the library and sets the loan rules. ---
    act_as(page, signed_in, "admin")
    go(page, stack, "#/books")
    main_nav(page).get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Settings").click()
    expect(heading(page)).to_have_text("Settings")
    expect(page).to_have_url(re.compile(r"#/admin/settings$"))
    name = page.get_by_role("textbox", name="Library name")
    expect(name).to_have_value(day["before"]["library_name"])
    check_views(page, "day-settings", name)
    name.fill(library)
    page.get_by_role("textbox", name="Loan period (days)").fill(str(LOAN_DAYS))
    page.get_by_role("textbox", name="Renewals per loan").fill(str(RENEWALS))
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Saved. 3 settings changed.")).to_be_focused()
    brand = page.locator(".site-header [data-library-name]")
    expect(brand).to_have_text(library)  # at once, not only after the next page load
    expect(page).to_have_title(re.compile(re.escape(library)))
    screenshot(page, "day-settings-saved-desktop")
    rules = api_get(page, stack, "/loan-rules")
    assert (rules["loan_days"], rules["max_renewals"]) == (LOAN_DAYS, RENEWALS)

    # --- A librarian adds a member with a login: the member will choose a password with a one-time link. ---
    act_as(page, signed_in, "librarian")
    go(page, stack, "#/members")
    expect(page.locator(".site-header [data-library-name]")).to_have_text(library)
    page.get_by_role("link", name="New member").click()
    expect(heading(page)).to_have_text("New member")
    member_name, email, card = f"Nora Fenwick {t}", f"nora-{t.lower()}@home.test", f"ND-{t}"
    page.get_by_role("textbox", name="Card number").fill(card)
    page.get_by_role("textbox", name="Name").fill(member_name)
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_role("radio", name=re.compile("they choose their password with a one-time link")).check()
    page.get_by_role("textbox", name="Login email").fill(email)
    page.get_by_role("button", name="Add member").click()
    expect(heading(page)).to_have_text(member_name)
    member_id = int(re.search(r"#/members/(\d+)", page.url).group(1))
    expect(page.get_by_role("status").first).to_contain_text(f"and the login {email}")
    box = page.get_by_role("textbox", name="One-time link")
    url = link_token(box.input_value())
    expect(page.get_by_role("main")).to_contain_text(f"logs in as {email}")
    check_views(page, "day-member-with-link", box)

    # --- The member, in their own browser, sets a password with the link and is logged in. ---
    mine.goto(url)
    expect(heading(mine)).to_have_text("Choose your password")
    expect(mine.get_by_role("main")).to_contain_text(email)
    expect(mine.locator(".site-header [data-library-name]")).to_have_text(library)
    password = f"an orchard of lanterns {t}"
    mine.get_by_label("New password").fill(password)
    mine.get_by_label("The same password again").fill(password)
    mine.get_by_role("button", name="Set my password").click()
    expect(heading(mine)).to_have_text("My loans")
    expect(mine.get_by_role("status").first).to_contain_text("Your password is set. You are logged in as")
    assert "token=" not in mine.url
    expect(mine.get_by_role("main")).to_contain_text(f"Library card {card}")
    expect(account_nav(mine).get_by_role("button", name="Log out")).to_be_visible()
    expect(mine.locator("[aria-busy=true]")).to_have_count(0)
    screenshot(mine, "day-member-password-set-desktop")

    # ... searches the catalog and places a hold on the book whose only copy is on the shelf.
    main_nav(mine).get_by_role("link", name="Browse").click()
    expect(heading(mine)).to_have_text("Catalog")
    mine.get_by_role("searchbox", name="Search").fill(title)
    mine.get_by_role("searchbox", name="Search").press("Enter")
    result = mine.get_by_role("link", name=title, exact=True)
    expect(result).to_be_visible()
    screenshot(mine, "day-member-search-desktop")
    result.click()
    expect(heading(mine)).to_have_text(title)
    expect(mine.locator(".availability-line")).to_contain_text("1 of 1 available")
    mine.get_by_role("button", name="Place hold").click()
    expect(mine.locator(".hold-mine")).to_contain_text("Hold placed. You are 1st in line.")
    expect(mine.locator(".availability-line")).to_contain_text("1 of 1 available")  # still on the shelf
    screenshot(mine, "day-member-hold-placed-desktop")
    assert api_get(page, stack, f"/copies/{copy['id']}")["status"] == "available"

    # --- The librarian sees it on the pull list ... ---
    go(page, stack, "#/desk")
    expect(heading(page)).to_have_text("Circulation desk")
    expect(page.get_by_role("link", name=re.compile(r"cop(y|ies) to pull"))).to_be_visible()
    page.get_by_role("navigation", name="Desk pages").get_by_role("link", name="Pull list").click()
    expect(heading(page)).to_have_text("Pull list")
    row = page.get_by_role("row").filter(has_text=title)
    for text in ("Fiction", "823 QUI", barcode, member_name):
        expect(row).to_contain_text(text)
    screenshot(page, "day-pull-list-desktop")

    # ... prints the labels of the book's copies ...
    go(page, stack, f"#/books/{book['id']}")
    page.get_by_role("link", name="Print labels for its copies").click()
    expect(heading(page)).to_have_text("Labels and library cards")
    expect(page.get_by_role("checkbox", name=f"Print a label for copy {barcode}")).to_be_checked()
    page.get_by_role("combobox", name="Label sheet").select_option("L7651")
    expect(page.get_by_role("status").filter(has_text="1 label on 1 sheet")).to_be_visible()
    pdf = page.get_by_role("link", name="Open the PDF to print").get_attribute("href")
    assert "sheet=L7651" in pdf and f"copy_id={copy['id']}" in pdf
    response = page.request.get(f"{stack.url}{pdf}")
    assert response.ok and response.headers["content-type"] == "application/pdf" and response.body()[:5] == b"%PDF-"
    screenshot(page, "day-labels-desktop")

    # ... and captures the copy at the desk in return mode: onto the hold shelf for the member.
    go(page, stack, "#/desk?mode=return")
    desk_scan(page, barcode)
    log = page.locator(".log-list > li")
    expect(log.first).to_contain_text(f"Pulled “{title}” ({barcode}) for a hold.")
    expect(log.first.locator(".hold-shelf")).to_contain_text(
        re.compile(rf"Put on hold shelf for {re.escape(member_name)} \(pickup by \d{{1,2}} \w+ \d{{4}}\)"))
    screenshot(page, "day-capture-desktop")
    go(page, stack, "#/desk/pull-list")
    expect(heading(page)).to_have_text("Pull list")
    expect(page.get_by_role("row").filter(has_text=title)).to_have_count(0)

    # --- The member sees the hold ready. ---
    mine.goto(f"{stack.url}/#/me")
    mine.reload()
    expect(heading(mine)).to_have_text("My loans")
    hold = mine.locator(".hold-card").filter(has_text=title)
    expect(hold).to_contain_text(re.compile(r"Ready: pick up by \d{1,2} \w+ \d{4}"))
    check_views(mine, "day-member-hold-ready", hold)

    # --- The librarian finds the member by name, typed in lower case, and lends the copy. ---
    go(page, stack, "#/desk")
    expect(page.get_by_role("textbox", name=re.compile(r"Card number or name$"))).to_be_focused()
    page.keyboard.type(member_name.lower())
    page.keyboard.press("Enter")
    panel = page.locator(".member-panel")
    expect(panel).to_contain_text(member_name)
    expect(panel).to_contain_text(card)
    expect(panel.locator(".ready-holds")).to_contain_text(title)
    desk_scan(page, barcode)
    expect(log.first).to_contain_text(f"Checked out {title} ({barcode}) to {member_name}")
    screenshot(page, "day-checkout-desktop")

    # --- The member renews: by the new loan period from the due date, once; then no renewal is offered. ---
    mine.goto(f"{stack.url}/#/me")
    mine.reload()
    loan_card = mine.locator(".loan-card").filter(has_text=title)
    expect(loan_card).to_be_visible()
    loan = the_loan(mine, stack, barcode)
    assert when(loan["due_at"]) - when(loan["loaned_at"]) == timedelta(days=LOAN_DAYS)  # the admin's rule
    renew = loan_card.get_by_role("button", name=re.compile(r"^Renew until"))
    offered = renew.text_content().removeprefix("Renew until ")
    renew.click()
    expect(mine.get_by_role("status").filter(has_text=f"Renewed “{title}”: now due {offered}.")).to_be_visible()
    renewed = the_loan(mine, stack, barcode)
    assert when(renewed["due_at"]) - when(loan["due_at"]) == timedelta(days=LOAN_DAYS)
    expect(loan_card.get_by_role("button", name=re.compile("^Renew"))).to_have_count(0)
    expect(loan_card).to_contain_text(f"Renewal limit reached ({RENEWALS}).")
    check_views(mine, "day-member-renewed", loan_card)

    # --- The librarian takes it back ... ---
    go(page, stack, "#/desk?mode=return")
    desk_scan(page, barcode)
    expect(log.first).to_contain_text(f"Returned {title} ({barcode}) from {member_name}")
    assert all(item["barcode"] != barcode for item in api_get(page, stack, "/loans", active="true")["items"])

    # ... moves the copy to another shelf ...
    go(page, stack, f"#/books/{book['id']}")
    table = page.get_by_role("table", name="Copies")
    page.get_by_role("button", name=f"Edit copy {barcode}").click()
    dialog = page.get_by_role("dialog", name=f"Copy {barcode}")
    expect(dialog.get_by_role("textbox", name="Shelf")).to_have_value("Fiction")
    dialog.get_by_role("textbox", name="Shelf").fill("Fiction, upstairs")
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text=f"Saved copy {barcode}.")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(barcode))).to_contain_text("Fiction, upstairs")
    assert api_get(page, stack, f"/copies/{copy['id']}")["location"] == "Fiction, upstairs"

    # ... adds a copy with the next barcode, and deletes it (never lent) after confirming ...
    page.get_by_text("Add a copy").click()
    page.get_by_role("button", name="Next barcode").click()
    barcode_field = page.get_by_role("textbox", name="Barcode")
    expect(barcode_field).to_have_value(re.compile(r"^C\d{6}$"))
    new = barcode_field.input_value()
    page.get_by_role("button", name="Add copy").click()
    expect(page.get_by_role("status").filter(has_text=f"Added copy {new}.")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(new))).to_have_count(1)
    page.get_by_role("button", name=f"Edit copy {new}").click()
    page.get_by_role("dialog", name=f"Copy {new}").get_by_role("button", name="Delete…").click()
    confirm = page.get_by_role("dialog", name=f"Delete copy {new}?")
    expect(confirm).to_contain_text("never lent nor held")
    screenshot(page, "day-delete-copy-desktop")
    confirm.get_by_role("button", name="Delete copy").click()
    expect(page.get_by_role("status").filter(has_text=f"Deleted copy {new}.")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(new))).to_have_count(0)
    assert [c["barcode"] for c in api_get(page, stack, f"/books/{book['id']}/copies")["items"]] == [barcode]

    # ... and merges the misspelt author into the right one.
    page.get_by_role("link", name=day["author"]).click()
    expect(heading(page)).to_have_text(day["author"])
    page.get_by_text("Merge another author into this one").click()
    typo = day["typo"]
    page.get_by_role("searchbox", name="Author to merge into this one").fill(typo)
    page.keyboard.press("Enter")
    page.get_by_role("button", name=f"Merge {typo} into {day['author']}").click()
    confirm = page.get_by_role("dialog", name=f"Merge {typo} into {day['author']}?")
    expect(confirm).to_contain_text("1 book moves")
    confirm.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("status").filter(has_text=f"Merged {typo} into {day['author']}: 1 book moved.")).to_be_visible()
    expect(page.get_by_role("link", name=day["misspelt"]["title"])).to_be_visible()
    screenshot(page, "day-author-merged-desktop")

    # --- Evening: the admin makes a reset link on the member's user page, and reads the day's audit trail. ---
    act_as(page, signed_in, "admin")
    user = next(u for u in api_get(page, stack, "/users", q=email)["items"] if u["email"] == email)
    go(page, stack, f"#/admin/users/{user['id']}")
    expect(page.get_by_role("main")).to_contain_text(email)
    page.get_by_role("button", name="Make a reset link").click()
    box = page.get_by_role("textbox", name="One-time link")
    link_token(box.input_value())
    screenshot(page, "day-user-reset-link-desktop")

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Audit trail").click()
    expect(heading(page)).to_have_text("Audit trail")
    expect(page.locator(".audit-event").first).to_contain_text("Made a password link")  # the latest event
    check_views(page, "day-audit", page.locator(".audit-event").first)
    events = page.locator(".audit-event")
    librarian_email = stack.users["librarian"][0]
    for action, texts in (("settings.update", ["Changed settings", f"Library name: {day['before']['library_name']} → {library}",
                                               f"Loan period (days): {day['before']['loan_days']} → {LOAN_DAYS}",
                                               f"Renewals per loan: {day['before']['max_renewals']} → {RENEWALS}"]),
                          ("member.create", ["Added a member", f"member {member_id}", librarian_email]),
                          # The hold was fulfilled, so its card number has left the entry (issue 14's privacy).
                          ("hold.place", ["Placed a hold", "book id", email]),
                          ("hold.capture", [librarian_email]),
                          ("loan.renew", ["Renewed a loan", email]),
                          ("author.merge", [librarian_email])):
        page.get_by_role("combobox", name="What").fill(action)
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(rf"action={re.escape(action)}"))
        event = events.filter(has_text=texts[-1]).first  # the newest first: the day's own
        for text in texts:
            expect(event).to_contain_text(text)
        if action == "hold.place":
            expect(event).not_to_contain_text(card)
    screenshot(page, "day-audit-filtered-desktop")

    assert staff_problems == [], "the staff's browser:\n" + "\n".join(staff_problems)
