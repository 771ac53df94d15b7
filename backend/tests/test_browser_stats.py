"""The statistics dashboard and the reading-history page in Chromium, through nginx, gunicorn and PostgreSQL.

A librarian opens the dashboard, changes the period, picks another list, downloads a CSV and is told when a chosen
period makes no sense; a member reads their history and turns it off. Checked with axe and photographed at phone and
desktop widths in light and dark mode. The history the charts show is the app's own generator's (the one behind
`seed-demo --history`), on copies and a member made for this module only, so no other test's data changes.
"""

import csv
import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from library import create_app
from library.extensions import db
from library.services import demo_history
from tests.browser import VIEWPORTS, act_as, check_axe, heading, new_book, screenshot
from tests.stack import LOGIN_PATH, client_from

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def history(stack):
    """Three books with two copies each and two members (one with a login), and 400 days of loans on them."""
    librarian = stack.login("librarian")
    tag = uuid.uuid4().hex[:6]
    books, copies = [], []
    for n, title in enumerate(("Orchard Almanac", "Harbour Lights", "The Quiet Cartographer")):
        book = new_book(stack, title=f"{title} {tag}", authors=[{"name": f"Stats Author{n} {tag}"}],
                        subjects=[f"Stats subject {tag}"], language="en", published_year=1990 + n)
        books.append(book)
        for k in range(2):
            response = librarian.post(f"{stack.url}/api/v1/books/{book['id']}/copies", json={"barcode": f"ST-{tag}-{n}{k}"})
            assert response.status_code == 201, response.text
            copies.append(response.json())
    email, password = stack.create_user(f"reader-{tag}@stack.test", "member")
    reader = librarian.post(f"{stack.url}/api/v1/members", json={"card_number": f"ST-R-{tag}", "name": "Stats Reader",
                                                                  "user_email": email}).json()
    other = librarian.post(f"{stack.url}/api/v1/members", json={"card_number": f"ST-O-{tag}", "name": "Other Reader"}).json()
    app = create_app({"SQLALCHEMY_DATABASE_URI": stack.database_url, "LIBRARY_ENV": "testing"})
    with app.app_context():
        made = demo_history.add_history([c["id"] for c in copies[1:]], [other["id"]],
                                        demo_history.Plan(loans=150, days=400, max_loans=5), datetime.now(timezone.utc))
        db.engine.dispose()
    assert made.loans > 60
    # The reader borrows and returns one copy today: their history has exactly that.
    assert librarian.post(f"{stack.url}/api/v1/loans", json={"barcode": copies[0]["barcode"],
                                                             "card_number": reader["card_number"]}).status_code == 201
    assert librarian.post(f"{stack.url}/api/v1/returns", json={"barcode": copies[0]["barcode"]}).status_code == 200
    return {"books": books, "reader": (email, password), "made": made}


def panel(page, name):
    return page.get_by_role("region", name=name, exact=True)


def test_a_librarian_reads_the_dashboard_changes_the_period_and_downloads_a_csv(app_page, stack, signed_in, history,
                                                                                 tmp_path):
    page = app_page
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/stats")
    expect(heading(page)).to_have_text("Statistics")
    now = panel(page, "Right now")
    expect(now.locator(".stat-tile").first).to_be_visible()
    expect(now).to_contain_text("On loan")
    loans = panel(page, "Loans and returns")
    expect(loans.locator("table caption")).to_have_text("Loans by day")
    expect(loans.locator("tbody tr")).to_have_count(30)
    expect(loans.locator("svg.chart-svg rect.chart-bar")).to_have_count(30)
    expect(page.locator("[aria-busy=true]")).to_have_count(0)

    # The last 12 months, by month: the URL keeps it, every panel of the period follows.
    page.get_by_label("Period", exact=True).select_option(label="Last 12 months")
    expect(page).to_have_url(f"{stack.url}/#/stats?period=12m")
    expect(loans.locator("table caption")).to_have_text("Loans by month")
    expect(loans.locator("tbody tr")).to_have_count(12)
    top = panel(page, "Most borrowed")
    titles = [book["title"] for book in history["books"][1:]]
    expect(top.locator("table")).to_contain_text(titles[0])
    expect(page.locator(".stats-period-text")).to_contain_text("compared with")

    # Another list: the same period, the most borrowed authors.
    top.get_by_role("radio", name="Authors").check()
    expect(page).to_have_url(f"{stack.url}/#/stats?period=12m&top=authors")
    expect(top.locator("thead")).to_contain_text("Author")

    # Each chart's numbers as a CSV file.
    with page.expect_download() as download:
        loans.get_by_role("link", name="Download CSV").click()
    path = tmp_path / "loans.csv"
    download.value.save_as(path)
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["start", "end", "loans", "returns", "previous_start", "previous_end", "previous_loans",
                       "previous_returns"]
    assert len(rows) == 13 and sum(int(row[2]) for row in rows[1:]) >= history["made"].loans * 0.75
    assert download.value.suggested_filename.startswith("loans-by-month-")

    # A period of chosen days; one that ends before it starts is refused at its field, without a request.
    page.get_by_label("Period", exact=True).select_option(label="Choose the days…")
    page.get_by_label("From", exact=True).fill("2026-11-10")
    page.get_by_label("To", exact=True).fill("2026-11-01")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#stats-to-problem")).to_have_text("The last day is before the first.")
    expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("To", exact=True)).to_be_focused()
    page.get_by_label("From", exact=True).fill("2026-10-01")
    page.get_by_label("Count by", exact=True).select_option("week")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(f"{stack.url}/#/stats?period=custom&from=2026-10-01&to=2026-11-01&group=week&top=authors")
    expect(loans.locator("table caption")).to_have_text("Loans by week")
    expect(loans.locator("tbody tr")).to_have_count(5)

    page.goto(f"{stack.url}/#/stats?period=12m")
    expect(loans.locator("tbody tr")).to_have_count(12)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for size, viewport in VIEWPORTS.items():
            page.set_viewport_size(viewport)
            page.goto(f"{stack.url}/#/stats?period=12m")
            page.reload()
            expect(loans.locator("svg.chart-svg")).to_be_visible()
            expect(page.locator("[aria-busy=true]")).to_have_count(0)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"overflow at {size}"
            check_axe(page, f"statistics {size} ({scheme})")
            screenshot(page, f"stats-{size}-{scheme}")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(VIEWPORTS["desktop"])


def test_a_member_reads_their_history_and_turns_it_off(app_page, stack, history):
    page = app_page
    email, password = history["reader"]
    # Logged in through nginx from an address of its own (127.0.0.1's form logins are rationed), cookie handed over.
    session = client_from("127.0.3.9")
    response = session.post(stack.url + LOGIN_PATH, json={"email": email, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    page.goto("about:blank")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": c.name, "value": c.value, "url": stack.url} for c in session.cookies])

    page.goto(f"{stack.url}/#/me")
    page.get_by_role("link", name="My reading history").click()
    expect(heading(page)).to_have_text("Reading history")
    title = history["books"][0]["title"]
    expect(page.locator(".history-list")).to_contain_text(title)
    expect(page.get_by_role("checkbox", name="Keep my reading history")).to_be_checked()
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        check_axe(page, f"reading history {size}")
        screenshot(page, f"history-{size}")
    page.set_viewport_size(VIEWPORTS["desktop"])

    page.get_by_role("checkbox", name="Keep my reading history").uncheck()
    page.get_by_role("button", name="Save").click()
    dialog = page.get_by_role("dialog", name="Stop keeping the reading history?")
    check_axe(page, "stop keeping the history dialog")
    dialog.get_by_role("button", name="Stop keeping it").click()
    expect(page.get_by_role("status").filter(has_text="reading history is off")).to_contain_text(
        "1 returned loan was forgotten")
    expect(page.locator(".history-list")).to_have_count(0)
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Keep my reading history")).not_to_be_checked()
    screenshot(page, "history-off-desktop")
