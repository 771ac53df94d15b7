"""Notices in the browser, through nginx + gunicorn + the worker on PostgreSQL, with the stack's local SMTP server:
a member turns off due-soon e-mails; a librarian captures their hold by a return at the desk; the hold-ready
mail arrives with a working link to the member's account. Staff's notices page and an admin's template editor,
checked with axe at phone and desktop widths."""

import re
import time
import uuid

from playwright.sync_api import expect

from tests.browser import SCREENSHOTS, VIEWPORTS, account_nav, act_as, check_axe, heading, main_nav, screenshot  # noqa: F401

ME = "/api/v1/members/me"


def _member_card(stack):
    """The stack member's library card (made here when no other test has made one), and its address."""
    api = f"{stack.url}/api/v1"
    member = stack.login("member")
    found = member.get(f"{api}/members/me", timeout=30)
    if found.status_code == 200:
        card = found.json()
    else:
        assert found.status_code == 404, found.text
        email = stack.users["member"][0]
        created = stack.login("librarian").post(f"{api}/members", json={
            "card_number": f"N-{uuid.uuid4().hex[:6]}", "name": "Nora Notified", "email": email,
            "user_email": email}, timeout=30)
        assert created.status_code == 201, created.text
        card = created.json()
    return card, member.get(f"{api}/members/me/notices", timeout=30).json()["email"]


def _wait_for_mail(stack, to, subject, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(stack.mail.messages):
            if message["To"].addresses[0].addr_spec == to and message["Subject"] == subject:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} to {to}: {[(m['To'], m['Subject']) for m in stack.mail.messages]}\n"
                         + stack.log_tails())


def test_a_member_chooses_emails_and_gets_the_hold_ready_mail_with_a_working_link(app_page, stack, signed_in):
    page = app_page
    api = f"{stack.url}/api/v1"
    card, address = _member_card(stack)
    assert address
    librarian = stack.login("librarian")
    tag = uuid.uuid4().hex[:6].upper()
    book = librarian.post(f"{api}/books", json={"title": f"Notice Test {tag}"}, timeout=30).json()
    barcode = f"N-{tag}"
    assert librarian.post(f"{api}/books/{book['id']}/copies", json={"barcode": barcode}, timeout=30).status_code == 201
    other = librarian.post(f"{api}/members", json={"card_number": f"O-{tag}", "name": f"Otto {tag}"}, timeout=30).json()
    assert librarian.post(f"{api}/loans", json={"barcode": barcode, "card_number": other["card_number"]},
                          timeout=30).status_code == 201

    # The member turns off due-soon e-mails on their loans page.
    act_as(page, signed_in, "member")
    page.goto(f"{stack.url}/#/books")
    account_nav(page).get_by_role("link", name="My loans").click()
    expect(heading(page)).to_have_text("My loans")
    panel = page.get_by_role("region", name="E-mails from the library")
    expect(panel).to_contain_text(f"E-mails go to {address}")
    due_soon = panel.get_by_role("checkbox", name="A loan is due soon")
    expect(due_soon).to_be_checked()
    due_soon.uncheck()
    panel.get_by_role("button", name="Save e-mail choices").click()
    expect(panel.get_by_role("status")).to_have_text("Saved. You will no longer get e-mails for: due soon.")
    expect(panel.get_by_role("checkbox", name="A loan is due soon")).not_to_be_checked()
    choices = {k["kind"]: k["enabled"] for k in stack.login("member").get(f"{api}/members/me/notices", timeout=30)
               .json()["kinds"]}
    assert choices["due_soon"] is False and choices["hold_ready"] is True

    # A hold on the book that is out; hold-ready e-mails are now locked on.
    member_api = stack.login("member")
    assert member_api.post(f"{api}/holds", json={"book_id": book["id"]}, timeout=30).status_code == 201
    page.reload()
    hold_ready = panel.get_by_role("checkbox", name="A hold is ready to pick up")
    expect(hold_ready).to_be_checked()
    expect(hold_ready).to_be_disabled()
    expect(panel).to_contain_text("You have a hold open: you will be told when it is ready.")
    check_axe(page, "my loans with e-mail choices")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        panel.scroll_into_view_if_needed()
        screenshot(page, f"notices-choices-{size}")
    page.set_viewport_size(VIEWPORTS["desktop"])

    # The librarian takes the copy back at the desk: it goes to the hold shelf for the member.
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/desk?mode=return")
    expect(heading(page)).to_have_text("Circulation desk")
    field = page.get_by_role("textbox", name=re.compile(r"Barcode to return$"))
    field.fill(barcode)
    field.press("Enter")
    expect(page.locator(".log-list > li").first).to_contain_text(f"Put on hold shelf for {card['name']}")

    # The mail arrives at the SMTP server, from the worker, with the member's account link.
    message = _wait_for_mail(stack, address, f"Ready for you: Notice Test {tag}")
    assert message["Message-ID"] and message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()
    links = re.findall(r"https?://\S+", text)
    assert f"{stack.url}/#/me" in links, text
    assert f'href="{stack.url}/#/me"' in message.get_body(("html",)).get_content()

    # The link works: it opens the member's page, where the hold is ready.
    act_as(page, signed_in, "member")
    page.goto(f"{stack.url}/#/me")
    expect(heading(page)).to_have_text("My loans")
    expect(page.locator(".hold-card.is-ready").filter(has_text=f"Notice Test {tag}")).to_be_visible()

    # Staff see it in the notices log, sent, with the mail server's state at a glance.
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/books")
    main_nav(page).get_by_role("link", name="Notices").click()
    expect(heading(page)).to_have_text("Notices")
    expect(page.locator(".status-box")).to_contain_text("Sending through 127.0.0.1:")
    page.get_by_role("combobox", name="Kind").select_option("hold_ready")
    expect(page).to_have_url(re.compile(r"#/notices\?kind=hold_ready$"))
    item = page.locator(".notice-card").filter(has_text=f"Ready for you: Notice Test {tag}")
    expect(item).to_contain_text("Sent")
    item.get_by_role("button", name=re.compile("Show the message")).click()
    expect(item.locator(".message-text")).to_contain_text(f"{stack.url}/#/me")
    check_axe(page, "notices log")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"notices-log-{size}")
    page.set_viewport_size(VIEWPORTS["desktop"])


def test_an_admin_previews_a_template_and_a_broken_one_is_refused(app_page, stack, signed_in):
    page = app_page
    act_as(page, signed_in, "admin")
    page.goto(f"{stack.url}/#/notices")
    expect(heading(page)).to_have_text("Notices")
    page.get_by_role("link", name="Due soon").click()
    expect(heading(page)).to_have_text("Due soon")
    expect(page.get_by_text("This is the built-in template.")).to_be_visible()
    subject = page.get_by_role("textbox", name="Subject")
    subject.fill("Reminder from {{ library_name }}: {{ title }}")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview with sample values")
    expect(preview).to_contain_text("Reminder from Riverside Library: The Dispossessed")
    expect(page.frame_locator("iframe.preview-frame").locator("body")).to_contain_text("The Dispossessed")
    check_axe(page, "template editor with a preview")
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"notices-template-{size}")
        # A frame below the fold is not painted in a full-page screenshot: the preview as a reader scrolls to it.
        page.locator("iframe.preview-frame").scroll_into_view_if_needed()
        expect(page.frame_locator("iframe.preview-frame").get_by_text("The Dispossessed")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"notices-template-preview-{size}.png"))
    page.set_viewport_size(VIEWPORTS["desktop"])

    subject.fill("Reminder: {{ titel }}")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("'titel' is undefined")
    subject.fill("Reminder: {{ title }}")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    page.get_by_role("button", name="Go back to the built-in template").click()
    page.get_by_role("dialog").get_by_role("button", name="Use the built-in template").click()
    expect(page.get_by_role("status").filter(has_text="The built-in template is used again.")).to_be_visible()
    expect(subject).to_have_value("Due {{ 'tomorrow' if days_left <= 1 else 'in %d days' % days_left }}: {{ title }}")
