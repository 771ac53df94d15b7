"""Languages in the browser, through nginx + gunicorn + PostgreSQL: an admin edits the French hold-ready
template (picked on the template page, kept in the URL), a member chooses the language of their e-mails on their
account page, the settings page offers the library's language; each checked with axe at phone and desktop widths."""

import re

from playwright.sync_api import expect

from tests.browser import act_as, check_views, go, heading  # noqa: F401


def test_an_admin_picks_the_french_template_and_previews_it(app_page, stack, signed_in):
    page = app_page
    act_as(page, signed_in, "admin")
    go(page, stack, "#/notices/templates/hold_ready")
    expect(heading(page)).to_have_text("Hold ready for pickup")
    picker = page.get_by_label("Language", exact=True)
    expect(picker).to_have_value("en")
    expect(page.get_by_label("Subject")).to_have_value("Ready for you: {{ title }}")
    picker.select_option("fr")
    expect(page).to_have_url(re.compile(r"#/notices/templates/hold_ready\?language=fr$"))
    expect(page.get_by_label("Subject")).to_have_value("Disponible pour vous : {{ title }}")
    expect(page.get_by_label("Language", exact=True)).to_have_value("fr")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".template-preview")
    expect(preview).to_contain_text("Disponible pour vous : The Left Hand of Darkness")
    expect(preview.locator("pre")).to_contain_text("au plus tard le vendredi 11 décembre 2026")
    check_views(page, "languages-template-fr", ready=preview)
    page.reload()  # the language is in the URL
    expect(page.get_by_label("Subject")).to_have_value("Disponible pour vous : {{ title }}")


def test_the_settings_page_offers_the_librarys_language(app_page, stack, signed_in):
    page = app_page
    act_as(page, signed_in, "admin")
    go(page, stack, "#/admin/settings")
    select = page.get_by_label("Library language")
    expect(select).to_have_value("en")
    assert [o.strip() for o in select.locator("option").all_inner_texts()] == ["English", "Français", "Español"]
    check_views(page, "languages-settings", ready=select)


def test_a_member_chooses_the_language_of_their_emails(app_page, stack, signed_in):
    page = app_page
    api = f"{stack.url}/api/v1"
    member = stack.login("member")
    if member.get(f"{api}/members/me", timeout=30).status_code == 404:  # no other test made the member's card yet
        email = stack.users["member"][0]
        made = stack.login("librarian").post(f"{api}/members", json={"name": "Nora Notified", "email": email,
                                                                     "user_email": email}, timeout=30)
        assert made.status_code == 201, made.text
    act_as(page, signed_in, "member")
    go(page, stack, "#/me")
    choice = page.get_by_label("Language of e-mails")
    expect(choice).to_have_value("")
    choice.select_option("fr")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.get_by_text("Saved your contact details.")).to_be_visible()
    assert member.get(f"{api}/members/me", timeout=30).json()["language"] == "fr"
    check_views(page, "languages-account", ready=choice)
    # back to the library's language, so the other tests' mails to this member stay in English
    page.get_by_label("Language of e-mails").select_option("")
    page.get_by_role("button", name="Save contact details").click()
    expect(page.get_by_text("Saved your contact details.")).to_be_visible()
    assert member.get(f"{api}/members/me", timeout=30).json()["language"] is None
