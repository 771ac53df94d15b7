"""Accounts in the browser, through nginx + gunicorn + PostgreSQL: a librarian gives a new member a login and the
member sets their password through the link; "Forgot your password?" and an admin's reset link; a temporary
password that must be changed; signing up online and staff approving (or rejecting) the card; the admin's
settings page and the audit trail. Every new view is checked with axe at phone and desktop widths, in both colour
schemes, with screenshots in test-output/screenshots/accounts-*.png.

Form logins from 127.0.0.1 are limited by nginx: users other than the stack's come in with a session made
through the API from an address of their own (as_user), so this module adds no form logins but one.
"""

import re
import time
import uuid
from itertools import count

import pytest
from playwright.sync_api import expect

from tests.browser import (
    VIEWPORTS,
    account_nav,
    act_as,
    api_get,
    check_axe,
    heading,
    link_token,
    main_nav,
    screenshot,
)
from tests.stack import LOGIN_PATH, client_from

pytestmark = pytest.mark.browser

_addresses = (f"127.0.3.{n}" for n in count(1))


def tag():
    return uuid.uuid4().hex[:6]


def as_user(page, stack, email, password):
    """Use a session of this user in the page (made through the API from a loopback address of its own)."""
    with client_from(next(_addresses)) as client:
        response = client.post(stack.url + LOGIN_PATH, json={"email": email, "password": password}, timeout=30)
        assert response.status_code == 200, response.text
        cookies = [{"name": c.name, "value": c.value, "url": stack.url} for c in client.cookies]
    page.goto("about:blank")
    page.context.clear_cookies()
    page.context.add_cookies(cookies)


def logs_in(stack, email, password):
    with client_from(next(_addresses)) as client:
        return client.post(stack.url + LOGIN_PATH, json={"email": email, "password": password}, timeout=30).status_code


def as_visitor(page):
    page.goto("about:blank")
    page.context.clear_cookies()


def change_settings(stack, **values):
    admin = stack.login("admin")
    response = admin.patch(f"{stack.url}/api/v1/settings", json=values, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def views_are_accessible(page, name, *, ready=None):
    """axe at phone and desktop widths on the page as it is now, and a screenshot at each."""
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        if ready is not None:
            expect(ready).to_be_visible()
        expect(page.locator("[aria-busy=true]")).to_have_count(0)
        scroll = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert scroll <= 0, f"{name} at {size} is {scroll}px wider than the screen"
        check_axe(page, f"{name} ({size})")
        screenshot(page, f"accounts-{name}-{size}")
    page.set_viewport_size(VIEWPORTS["desktop"])



# --- a member's login, made by a librarian ---------------------------------------------------------

def test_a_librarian_gives_a_new_member_a_login_and_the_member_sets_a_password_and_edits_contact_details(
        app_page, stack, signed_in):
    page, t = app_page, tag()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/members/new")
    expect(heading(page)).to_have_text("New member")
    page.get_by_role("textbox", name="Card number").fill(f"L-{t}")
    page.get_by_role("textbox", name="Name").fill(f"Lena Park {t}")
    page.get_by_role("textbox", name="Email address").fill(f"lena-{t}@home.test")
    expect(page.get_by_role("textbox", name="Login email")).to_be_hidden()
    page.get_by_role("radio", name=re.compile("they choose their password with a one-time link")).check()
    expect(page.get_by_role("textbox", name="Login email")).to_be_visible()
    expect(page.get_by_role("textbox", name="Temporary password")).to_be_hidden()
    views_are_accessible(page, "member-new-login", ready=page.get_by_role("textbox", name="Login email"))
    page.get_by_role("button", name="Add member").click()

    # The member page shows the link once, with Copy, and the login.
    expect(heading(page)).to_have_text(f"Lena Park {t}")
    expect(page.get_by_role("status").first).to_contain_text(f"and the login lena-{t}@home.test")
    box = page.get_by_role("textbox", name="One-time link")
    expect(box).to_be_visible()
    url = link_token(box.input_value())
    page.locator(".link-box").get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied the link to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    expect(page.get_by_role("main")).to_contain_text(f"logs in as lena-{t}@home.test")
    views_are_accessible(page, "member-with-link", ready=box)

    # The member opens the link in their own browser.
    as_visitor(page)
    page.goto(url)
    expect(heading(page)).to_have_text("Choose your password")
    expect(page.get_by_role("main")).to_contain_text(f"lena-{t}@home.test")
    views_are_accessible(page, "set-password", ready=page.get_by_label("New password"))
    password = f"my own library passphrase {t}"
    page.get_by_label("New password").fill(password)
    page.get_by_label("The same password again").fill(password + "!")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator("#link-again-error")).to_contain_text("not the same")
    page.get_by_label("New password").fill(password)
    page.get_by_label("The same password again").fill(password)
    page.get_by_role("button", name="Set my password").click()
    expect(heading(page)).to_have_text("My loans")
    expect(page.get_by_role("status").first).to_contain_text("Your password is set. You are logged in as")
    assert "token=" not in page.url  # the used link is not left in the address
    expect(page.get_by_role("main")).to_contain_text(f"Library card L-{t}")

    # The same link again: used.
    as_visitor(page)
    page.goto(url)
    expect(heading(page)).to_have_text("This link does not work")
    expect(page.get_by_role("main")).to_contain_text("used already")
    views_are_accessible(page, "link-used", ready=page.get_by_role("link", name="Ask for a new link"))

    # Logged in again, the member keeps their contact details up to date.
    as_user(page, stack, f"lena-{t}@home.test", password)
    page.goto(f"{stack.url}/#/me")
    phone = page.get_by_role("textbox", name="Phone")
    expect(phone).to_be_visible()
    phone.fill("555 0100")
    page.get_by_role("textbox", name="Email address").fill("not an address")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.locator("#contact-email-error")).to_be_visible()
    page.get_by_role("textbox", name="Email address").fill(f"lena.park-{t}@home.test")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.get_by_text("Saved your contact details.")).to_be_focused()
    views_are_accessible(page, "me-contact", ready=phone)
    mine = api_get(page, stack, "/members/me")
    assert (mine["phone"], mine["email"]) == ("555 0100", f"lena.park-{t}@home.test")


def test_a_librarian_links_unlinks_and_gives_logins_on_the_member_page(app_page, stack, signed_in):
    page, t = app_page, tag()
    email, _ = stack.create_user(f"owner-{t}@stack.test", "member", name=f"Owner {t}")
    librarian = stack.login("librarian")
    member = librarian.post(f"{stack.url}/api/v1/members", json={"card_number": f"U-{t}", "name": f"Uma Lee {t}"},
                            timeout=30).json()
    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/members/{member['id']}")
    expect(heading(page)).to_have_text(f"Uma Lee {t}")
    expect(page.get_by_role("main")).to_contain_text("This card has no login")
    views_are_accessible(page, "member-no-login", ready=page.get_by_role("button", name="Give a login"))

    # Link an existing account by its email; unknown emails are explained on the field.
    page.get_by_role("textbox", name="Email of their account").fill(f"nobody-{t}@stack.test")
    page.get_by_role("button", name="Link the account").click()
    expect(page.locator("#link-account-email-error")).to_contain_text("No user account has this email")
    page.get_by_role("textbox", name="Email of their account").fill(email)
    page.get_by_role("button", name="Link the account").click()
    expect(page.get_by_role("status").filter(has_text=f"Linked {email} to this card.")).to_be_focused()
    expect(page.get_by_role("main")).to_contain_text(f"logs in as {email}")

    # Unlink, after confirming; then give the card a new login with a temporary password.
    page.get_by_role("button", name="Unlink the account").click()
    dialog = page.get_by_role("dialog", name=f"Unlink {email} from this card?")
    expect(dialog).to_contain_text("To undo")
    check_axe(page, "unlink dialog")
    screenshot(page, "accounts-unlink-dialog-desktop")
    dialog.get_by_role("button", name="Unlink the account").click()
    expect(page.get_by_role("status").filter(has_text=f"Unlinked {email}.")).to_be_visible()
    page.get_by_role("textbox", name="Login email").fill(f"uma-{t}@stack.test")
    page.get_by_role("radio", name="A temporary password you tell them").check()
    page.get_by_role("textbox", name="Temporary password").fill("password1")
    page.get_by_role("button", name="Give a login").click()
    expect(page.locator("#give-login-temporary-error")).to_contain_text("common")
    temporary = f"temporary {t} passphrase"
    page.get_by_role("textbox", name="Temporary password").fill(temporary)
    page.get_by_role("button", name="Give a login").click()
    expect(page.get_by_role("status").filter(has_text=f"has a login now: uma-{t}@stack.test")).to_be_visible()

    # Uma logs in with it and must choose her own password before anything else.
    as_user(page, stack, f"uma-{t}@stack.test", temporary)
    page.goto(f"{stack.url}/#/books")
    expect(heading(page)).to_have_text("Choose your own password")
    expect(page).to_have_url(re.compile(r"#/change-password\?next="))
    views_are_accessible(page, "change-password", ready=page.get_by_label("Temporary password"))
    page.get_by_label("Temporary password").fill(temporary)
    page.get_by_label("New password").fill(f"uma's own passphrase {t}")
    page.get_by_role("button", name="Save my password").click()
    expect(heading(page)).to_have_text("Catalog")
    expect(page.get_by_role("status").first).to_contain_text("Your password has been changed.")
    account_nav(page).get_by_role("link", name="My loans").click()
    expect(page.get_by_role("main")).to_contain_text(f"Library card U-{t}")


# --- reset links --------------------------------------------------------------------------------------

def mail_to(stack, address, timeout=30):
    """The first message the stack's mail catcher received for address (the worker sends within seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(stack.mail.messages):
            if address in str(message["To"]):
                return message
        time.sleep(0.25)
    raise AssertionError(f"no mail to {address} within {timeout} s")


def test_a_user_asks_for_a_new_password_and_an_admin_hands_over_a_reset_link(app_page, stack, signed_in):
    page, t = app_page, tag()
    email, old_password = stack.create_user(f"forgetful-{t}@stack.test", "librarian", name=f"Forgetful {t}")

    # "Forgot your password?" from the login page: the same answer for any email.
    as_visitor(page)
    page.goto(f"{stack.url}/#/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(heading(page)).to_have_text("Forgot your password?")
    views_are_accessible(page, "forgot", ready=page.get_by_role("textbox", name="Email address"))
    page.get_by_role("textbox", name="Email address").fill(email)
    page.get_by_role("button", name="Ask for a new password").click()
    answer = page.get_by_role("status").filter(has_text="Ask at the desk")
    expect(answer).to_be_focused()
    expect(answer).to_contain_text("a link to choose a new password is on its way")  # the stack has a mail server
    assert "/#/reset-password?token=" in mail_to(stack, email).get_body(("plain",)).get_content()
    views_are_accessible(page, "forgot-sent", ready=answer)
    said = answer.text_content()
    page.reload()  # the same page afresh: the form again
    page.get_by_role("textbox", name="Email address").fill(f"nobody-{t}@stack.test")
    page.get_by_role("button", name="Ask for a new password").click()
    expect(page.get_by_role("status").filter(has_text="Ask at the desk")).to_have_text(said)

    # The admin also sees who asked (say, the mail did not arrive), and makes a link on the user's page.
    act_as(page, signed_in, "admin")
    page.goto(f"{stack.url}/#/admin/users")
    page.get_by_role("checkbox", name="Asked for a new password").check()
    expect(page).to_have_url(re.compile(r"requested=1"))
    card = page.locator(".cards > li", has=page.get_by_role("link", name=f"Forgetful {t}"))
    expect(card).to_contain_text("Asked for a new password")
    views_are_accessible(page, "users-requested", ready=card)
    card.get_by_role("link", name=f"Forgetful {t}").click()
    expect(heading(page)).to_have_text(f"Forgetful {t}")
    expect(page.get_by_role("main")).to_contain_text("asked for a new password on")
    page.get_by_role("button", name="Make a reset link").click()
    box = page.get_by_role("textbox", name="One-time link")
    url = link_token(box.input_value())
    expect(page.get_by_role("main")).not_to_contain_text("asked for a new password on")
    views_are_accessible(page, "user-reset-link", ready=box)

    # The user sets a new password with it: logged in, and the old password no longer works.
    as_visitor(page)
    page.goto(url)
    expect(heading(page)).to_have_text("Choose a new password")
    new_password = f"a fresh passphrase {t}"
    page.get_by_label("New password").fill(new_password)
    page.get_by_label("The same password again").fill(new_password)
    page.get_by_role("button", name="Set the new password").click()
    expect(heading(page)).to_have_text("Your account")
    expect(account_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    assert logs_in(stack, email, old_password) == 401
    assert logs_in(stack, email, new_password) == 200


def test_a_broken_link_says_what_to_do(app_page, stack):
    page = app_page
    page.goto(f"{stack.url}/#/reset-password?token={'x' * 43}")
    expect(heading(page)).to_have_text("This link does not work")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
    page.goto(f"{stack.url}/#/reset-password")
    expect(heading(page)).to_have_text("This link is incomplete")


# --- signing up online --------------------------------------------------------------------------------

def test_a_visitor_signs_up_and_staff_approve_or_reject(app_page, stack, signed_in):
    page, t = app_page, tag()
    as_visitor(page)
    page.goto(f"{stack.url}/#/register")
    expect(page.get_by_role("main")).to_contain_text("does not take sign-ups online")
    views_are_accessible(page, "register-off", ready=heading(page))

    change_settings(stack, self_registration=True)
    try:
        page.goto(f"{stack.url}/#/login")
        page.get_by_role("link", name="Sign up for a library card").click()
        expect(heading(page)).to_have_text("Sign up for a library card")
        views_are_accessible(page, "register", ready=page.get_by_role("textbox", name="Your name"))
        email, password = f"vera-{t}@home.test", f"vera's passphrase {t}"
        page.get_by_role("textbox", name="Your name").fill(f"Vera Lind {t}")
        page.get_by_role("textbox", name="Email address").fill(email)
        page.get_by_label("Password", exact=True).fill("password")
        page.get_by_role("button", name="Sign up").click()
        expect(page.locator("#register-password-error")).to_be_visible()
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign up").click()
        done = page.get_by_role("status").filter(has_text="The library will check your details")
        expect(done).to_be_focused()
        views_are_accessible(page, "registered", ready=done)

        # Vera logs in: her card waits for approval.
        as_user(page, stack, email, password)
        page.goto(f"{stack.url}/#/me")
        expect(page.get_by_role("main")).to_contain_text("Your card is waiting for approval")
        views_are_accessible(page, "me-pending", ready=page.get_by_role("textbox", name="Phone"))

        # A second sign-up, to be rejected.
        spam = page.request.post(f"{stack.url}/api/v1/auth/register",
                                 data={"name": f"Spam {t}", "email": f"spam-{t}@home.test", "password": password})
        assert spam.status == 202

        # Staff find the pending cards and approve Vera's with a card number.
        act_as(page, signed_in, "librarian")
        page.goto(f"{stack.url}/#/members")
        page.get_by_role("combobox", name="Status").select_option("pending")
        expect(page).to_have_url(re.compile(r"status=pending"))
        row = page.locator(".member-list > li", has=page.get_by_role("link", name=f"Vera Lind {t}"))
        expect(row).to_contain_text("Waiting for approval")
        views_are_accessible(page, "members-pending", ready=row)
        row.get_by_role("link").click()
        expect(heading(page)).to_have_text(f"Vera Lind {t}")
        views_are_accessible(page, "member-pending", ready=page.get_by_role("button", name="Approve the card"))
        page.get_by_role("textbox", name="Card number").fill(f"V-{t}")
        page.get_by_role("button", name="Approve the card").click()
        expect(page.get_by_role("status").filter(has_text=f"card number is V-{t}")).to_be_focused()
        expect(page.locator(".badges")).to_contain_text("Active")
        expect(page.get_by_role("link", name="Check out at the desk")).to_be_visible()

        page.goto(f"{stack.url}/#/members?status=pending")
        page.get_by_role("link", name=f"Spam {t}").click()
        page.get_by_role("button", name="Reject the sign-up").click()
        dialog = page.get_by_role("dialog", name=f"Reject Spam {t}’s sign-up?")
        check_axe(page, "reject dialog")
        screenshot(page, "accounts-reject-dialog-desktop")
        dialog.get_by_role("button", name="Reject the sign-up").click()
        expect(page.get_by_role("status").first).to_contain_text(f"Rejected the sign-up of Spam {t}.")
        assert logs_in(stack, f"spam-{t}@home.test", password) == 401

        # Vera sees her card.
        as_user(page, stack, email, password)
        page.goto(f"{stack.url}/#/me")
        expect(page.get_by_role("main")).to_contain_text(f"Library card V-{t}")
    finally:
        change_settings(stack, self_registration=False)


def test_a_user_without_a_card_is_told_how_to_get_one_and_may_ask_online(app_page, stack):
    page, t = app_page, tag()
    email, password = stack.create_user(f"cardless-{t}@stack.test", "member", name=f"Cardless {t}")
    as_user(page, stack, email, password)
    page.goto(f"{stack.url}/#/me")
    expect(page.get_by_role("main")).to_contain_text(f"tell them the email you log in with, {email}")
    expect(page.get_by_role("button", name="Ask for a card")).to_have_count(0)
    change_settings(stack, self_registration=True)
    try:
        page.reload()
        page.get_by_role("textbox", name="Name for the card").fill(f"Cara Less {t}")
        views_are_accessible(page, "me-no-card", ready=page.get_by_role("button", name="Ask for a card"))
        page.get_by_role("button", name="Ask for a card").click()
        expect(page.get_by_role("status").first).to_contain_text("the library will check your request")
        expect(page.get_by_role("main")).to_contain_text("Your card is waiting for approval")
    finally:
        change_settings(stack, self_registration=False)


# --- the admin's pages ----------------------------------------------------------------------------------

def test_the_admin_changes_the_library_name_and_loan_period_and_reads_the_audit_trail(app_page, stack, signed_in):
    page, t = app_page, tag()
    before = api_get(page, stack, "/loan-rules")
    before_name = api_get(page, stack, "/settings/public")["library_name"]
    act_as(page, signed_in, "admin")
    page.goto(f"{stack.url}/#/books")
    main_nav(page).get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Settings").click()
    expect(heading(page)).to_have_text("Settings")
    name, days = page.get_by_role("textbox", name="Library name"), page.get_by_role("textbox", name="Loan period (days)")
    expect(days).to_have_value(str(before["loan_days"]))
    views_are_accessible(page, "settings", ready=name)
    try:
        name.fill(f"Riverside Library {t}")
        days.fill("0")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#setting-loan_days-error")).to_be_visible()
        expect(page.locator(".error-summary")).to_be_focused()
        views_are_accessible(page, "settings-error", ready=page.locator("#setting-loan_days-error"))
        days.fill("14")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("status").filter(has_text="Saved. 2 settings changed.")).to_be_focused()
        expect(page.locator("#setting-loan_days-error")).to_have_count(0)
        assert api_get(page, stack, "/settings/public")["library_name"] == f"Riverside Library {t}"
        assert api_get(page, stack, "/loan-rules")["loan_days"] == 14

        # The audit trail: the change in words, filtered by what and by whom.
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="Audit trail").click()
        expect(heading(page)).to_have_text("Audit trail")
        views_are_accessible(page, "audit", ready=page.locator(".audit-event").first)
        page.get_by_role("combobox", name="What").fill("settings.update")  # a search box with suggestions
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"action=settings\.update"))
        event = page.locator(".audit-event").first
        expect(event).to_contain_text("Changed settings")
        expect(event).to_contain_text(f"Loan period (days): {before['loan_days']} → 14")
        expect(event).to_contain_text(f"Library name: {before_name} → Riverside Library {t}")
        admin_email = stack.users["admin"][0]
        event.get_by_role("link", name=admin_email).click()
        expect(page).to_have_url(re.compile(r"actor_email=admin%40stack\.test"))
        expect(page.locator(".audit-event").first).to_contain_text(admin_email)
        views_are_accessible(page, "audit-filtered", ready=page.locator(".audit-event").first)
        page.get_by_role("combobox", name="Record").select_option("member")
        expect(page).to_have_url(re.compile(r"resource_type=member"))
        expect(page.locator(".audit-event, .empty").first).to_be_visible()
    finally:
        change_settings(stack, library_name=before_name, loan_days=before["loan_days"])
