"""A library day at the desk, in Chromium through nginx, gunicorn and PostgreSQL, as the people would do it:

a member places a hold on a book whose copy is on the shelf (the copy stays available); the librarian sees it on
the pull list, prints its labels, captures the copy at the desk (return mode); the member sees it ready; the
librarian finds the member by card (any case) or by name (picking from matches) and checks it out; the member
renews (the due date moves, and no renewal is offered once none would be granted); the librarian takes it back,
edits a copy's shelf, adds a copy with the next barcode and deletes it, and merges two authors. Every new view is
checked with axe at phone and desktop widths, and screenshotted (test-output/screenshots/desk-*.png).
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import act_as, api_get, check_views, desk_scan, go, heading

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def day(stack):
    """Arranged through the API: the member user's library card (made here unless another module made one), two
    more members whose names share a word, a book with one copy on the shelf by an author, and a second book by
    the same author under a misspelt name (to merge)."""
    api = f"{stack.url}/api/v1"
    librarian = stack.login("librarian")
    tag = uuid.uuid4().hex[:6].upper()

    def post(path, body):
        response = librarian.post(f"{api}{path}", json=body, timeout=30)
        assert response.status_code in (200, 201), f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    mine = stack.login("member").get(f"{api}/members/me", timeout=30)
    if mine.status_code == 404:
        email = stack.users["member"][0]
        users = stack.login("admin").get(f"{api}/users", params={"q": email}, timeout=30).json()["items"]
        user_id = next(u["id"] for u in users if u["email"] == email)
        member = post("/members", {"card_number": f"DAY-{tag}", "name": f"Dana Reader {tag}", "user_id": user_id})
    else:
        member = mine.json()
    twins = [post("/members", {"card_number": f"T{n}-{tag}", "name": f"Twin {name} {tag}"}) for n, name in ((1, "Pat"), (2, "Pam"))]
    author = f"Ursula Dayton {tag}"
    book = post("/books", {"title": f"The Desk Day {tag}", "authors": [{"name": author}]})
    copy = post(f"/books/{book['id']}/copies", {"barcode": f"DD-{tag}-1", "location": "Fiction", "call_number": "823 DAY"})
    misspelt = post("/books", {"title": f"Another Day {tag}", "authors": [{"name": f"Ursula Dayten {tag}"}]})
    return {"member": member, "twins": twins, "book": book, "copy": copy, "misspelt": misspelt, "author": author, "tag": tag}






def test_a_library_day_at_the_desk(app_page, stack, signed_in, day):
    page = app_page
    book, copy, member = day["book"], day["copy"], day["member"]
    title, barcode = book["title"], copy["barcode"]

    # The member places a hold on a book whose only copy is on the shelf: the copy stays on the shelf.
    act_as(page, signed_in, "member")
    go(page, stack, f"#/books/{book['id']}")
    expect(heading(page)).to_have_text(title)
    page.get_by_role("button", name="Place hold").click()
    expect(page.locator(".hold-mine")).to_contain_text("Hold placed. You are 1st in line.")
    expect(page.locator(".availability-line")).to_contain_text("1 of 1 available")
    assert api_get(page, stack, f"/copies/{copy['id']}")["status"] == "available"

    # The librarian sees it on the pull list, with its shelf, call number and barcode.
    act_as(page, signed_in, "librarian")
    go(page, stack, "#/desk")
    expect(heading(page)).to_have_text("Circulation desk")
    expect(page.get_by_role("link", name=re.compile(r"cop(y|ies) to pull"))).to_be_visible()
    page.get_by_role("navigation", name="Desk pages").get_by_role("link", name="Pull list").click()
    expect(heading(page)).to_have_text("Pull list")
    row = page.get_by_role("row").filter(has_text=title)
    expect(row).to_contain_text("Fiction")
    expect(row).to_contain_text("823 DAY")
    expect(row).to_contain_text(barcode)
    expect(row).to_contain_text(member["name"])
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    csv = page.get_by_role("link", name="Download CSV").get_attribute("href")
    assert csv.startswith("/api/v1/pull-list.csv")
    response = page.request.get(f"{stack.url}{csv}")
    assert response.ok and barcode in response.text()
    page.get_by_role("combobox", name="Sort by").select_option("shelf")
    expect(page).to_have_url(re.compile(r"#/desk/pull-list\?sort=shelf$"))
    check_views(page, "desk-pull-list", page.get_by_role("row").filter(has_text=title))

    # ... prints the labels of the book's copies from its page ...
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
    check_views(page, "desk-labels", page.get_by_role("link", name="Open the PDF to print"))
    page.get_by_role("radio", name="Library cards for members").check()
    page.get_by_role("searchbox", name="Find members by name or card number").fill(day["twins"][0]["name"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name=f"Print a card for {day['twins'][0]['name']}")).to_be_checked()
    expect(page.get_by_role("status").filter(has_text="1 card on 1 sheet")).to_be_visible()

    # ... and captures the copy at the desk in return mode: it goes on the hold shelf for the member.
    go(page, stack, "#/desk?mode=return")
    desk_scan(page, barcode)
    log = page.locator(".log-list > li")
    expect(log.first).to_contain_text(f"Pulled “{title}” ({barcode}) for a hold.")
    shelf = log.first.locator(".hold-shelf")
    expect(shelf).to_have_attribute("role", "alert")
    expect(shelf).to_contain_text(re.compile(rf"Put on hold shelf for {re.escape(member['name'])} \(pickup by \d{{1,2}} \w+ \d{{4}}\)"))
    page.get_by_role("navigation", name="Desk pages").get_by_role("link", name="Hold shelf").click()
    expect(heading(page)).to_have_text("Hold shelf")
    expect(page.get_by_role("row").filter(has_text=title)).to_contain_text(member["name"])
    check_views(page, "desk-hold-shelf", page.get_by_role("row").filter(has_text=title))
    go(page, stack, "#/desk/pull-list")
    expect(page.get_by_role("row").filter(has_text=title)).to_have_count(0)

    # The member sees it ready.
    act_as(page, signed_in, "member")
    go(page, stack, "#/me")
    expect(page.locator(".hold-card").filter(has_text=title)).to_contain_text(re.compile(r"Ready: pick up by \d{1,2} \w+ \d{4}"))

    # The librarian finds members by name (choosing among matches) and by card in any case, and lends the copy.
    act_as(page, signed_in, "librarian")
    go(page, stack, "#/desk")
    card_field = page.get_by_role("textbox", name=re.compile(r"Card number or name$"))
    expect(card_field).to_be_focused()
    page.keyboard.type(f"twin {day['tag'].lower()}")
    page.keyboard.press("Enter")
    choices = page.get_by_role("list", name="Matching members").get_by_role("button")
    expect(choices).to_have_count(2)
    expect(choices.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(choices.nth(1)).to_be_focused()
    check_views(page, "desk-desk-choices", choices.first)
    page.keyboard.press("Escape")
    expect(card_field).to_be_focused()
    page.keyboard.type(member["card_number"].lower())  # the text was selected: typing replaces it
    page.keyboard.press("Enter")
    expect(page.locator(".member-panel")).to_contain_text(member["name"])
    desk_scan(page, barcode)
    expect(log.first).to_contain_text(f"Checked out {title} ({barcode}) to {member['name']}")

    # The member renews: the due date moves by a loan period each time, and once no renewal would be
    # granted, none is offered.
    act_as(page, signed_in, "member")
    go(page, stack, "#/me")
    loan = page.locator(".loan-card").filter(has_text=title)
    first_due = api_get(page, stack, "/loans", active="true")
    due = next(item for item in first_due["items"] if item["barcode"] == barcode)["due_at"]
    for _ in range(2):
        renew = loan.get_by_role("button", name=re.compile(r"^Renew until"))
        offered = renew.text_content().removeprefix("Renew until ")  # the date the renewal gives
        renew.click()
        expect(page.get_by_role("status").filter(has_text=f"Renewed “{title}”: now due {offered}.")).to_be_visible()
        moved = next(item for item in api_get(page, stack, "/loans", active="true")["items"] if item["barcode"] == barcode)
        assert moved["due_at"] > due
        due = moved["due_at"]
    expect(loan.get_by_role("button", name=re.compile("^Renew"))).to_have_count(0)
    expect(loan).to_contain_text("Renewal limit reached (2).")

    # The librarian takes it back at the desk.
    act_as(page, signed_in, "librarian")
    go(page, stack, "#/desk?mode=return")
    desk_scan(page, barcode)
    expect(log.first).to_contain_text(f"Returned {title} ({barcode}) from {member['name']}")
    # What they returned is their reading history: staff lists show the loan without its member (README, Privacy).
    returned = api_get(page, stack, "/loans", book_id=book["id"], active="false")["items"]
    assert returned and all(item["member_id"] is None and item["member_name"] is None for item in returned)

    # A copy's shelf is edited in its dialog; a copy added with the next barcode and never lent is deleted.
    go(page, stack, f"#/books/{book['id']}")
    table = page.get_by_role("table", name="Copies")
    page.get_by_role("button", name=f"Edit copy {barcode}").click()
    dialog = page.get_by_role("dialog", name=f"Copy {barcode}")
    expect(dialog.get_by_role("textbox", name="Shelf")).to_have_value("Fiction")
    check_views(page, "desk-copy-dialog", dialog)
    dialog.get_by_role("textbox", name="Shelf").fill("Fiction, upstairs")
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text=f"Saved copy {barcode}.")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(barcode))).to_contain_text("Fiction, upstairs")
    expect(page.get_by_role("button", name=f"Edit copy {barcode}")).to_be_focused()

    page.get_by_text("Add a copy").click()
    page.get_by_role("button", name="Next barcode").click()
    barcode_field = page.get_by_role("textbox", name="Barcode")
    expect(barcode_field).to_have_value(re.compile(r"^C\d{6}$"))
    new = barcode_field.input_value()
    page.get_by_role("button", name="Add copy").click()
    expect(page.get_by_role("status").filter(has_text=f"Added copy {new}.")).to_be_visible()
    page.get_by_role("button", name=f"Edit copy {new}").click()
    page.get_by_role("dialog", name=f"Copy {new}").get_by_role("button", name="Delete…").click()
    confirm = page.get_by_role("dialog", name=f"Delete copy {new}?")
    expect(confirm).to_contain_text("never lent nor held")
    confirm.get_by_role("button", name="Delete copy").click()
    expect(page.get_by_role("status").filter(has_text=f"Deleted copy {new}.")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(new))).to_have_count(0)
    check_views(page, "desk-book-copies-staff", table)

    # Two authors are merged: the misspelt one's book moves over, after a confirmation.
    page.get_by_role("link", name=day["author"]).click()
    expect(heading(page)).to_have_text(day["author"])
    page.get_by_text("Merge another author into this one").click()
    typo = f"Ursula Dayten {day['tag']}"
    page.get_by_role("searchbox", name="Author to merge into this one").fill(typo)
    page.keyboard.press("Enter")
    page.get_by_role("button", name=f"Merge {typo} into {day['author']}").click()
    confirm = page.get_by_role("dialog", name=f"Merge {typo} into {day['author']}?")
    expect(confirm).to_contain_text("1 book moves")
    check_views(page, "desk-author-merge-dialog", confirm)
    confirm.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("status").filter(has_text=f"Merged {typo} into {day['author']}: 1 book moved.")).to_be_visible()
    expect(page.get_by_role("link", name=day["misspelt"]["title"])).to_be_visible()
    check_views(page, "desk-author-tools", page.get_by_role("status").filter(has_text="Merged"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_desk_lists_are_accessible(app_page, stack, signed_in, day, scheme):
    """Each staff list, empty or not, at both widths and in both colour schemes."""
    page = app_page
    page.emulate_media(color_scheme=scheme)
    act_as(page, signed_in, "librarian")
    for route, title in (("#/desk/loans?overdue=true", "Overdue loans"), ("#/desk/loans", "Loans"),
                         (f"#/desk/holds?book={day['book']['id']}&status=all", "Holds"),
                         ("#/desk/archive", "Archived books"), ("#/desk/hold-shelf?expired=true", "Hold shelf"),
                         ("#/desk", "Circulation desk")):
        go(page, stack, route)
        expect(heading(page)).to_have_text(title)
        name = re.sub(r"\W+", "-", route.strip("#/")).strip("-")
        check_views(page, f"desk-{name}-{scheme}", page.locator(".results, .desk-step").first)
