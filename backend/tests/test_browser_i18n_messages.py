"""Messages the API writes, read in French in the app (issue 14): a desk conflict with a copy's status in it, an
import report with bad rows, and the audit trail's field names. The sweep of test_browser_i18n.py finds English
keys of the SPA's catalogs; these texts come from the API's catalogs, so they are checked for English words."""

import re
import uuid

from playwright.sync_api import expect

from tests.browser import act_as, check_views, go, heading, new_book, screenshot
from tests.test_browser_i18n import catalog, english_left, pick_language

# English words that no French sentence of these views has (names, titles and barcodes aside).
ENGLISH = re.compile(r"\b(the|is|not on loan|lost|copy|barcode|must|left out|title|status|changed|last loaned)\b")


def test_a_conflict_an_import_report_and_the_audit_trail_in_french(app_page, stack, signed_in, tmp_path):
    page, fr, tag = app_page, catalog("fr"), uuid.uuid4().hex[:6].upper()
    librarian = stack.login("librarian")
    book = new_book(stack, title=f"Perdu {tag}")
    barcode = f"FR-{tag}"
    copy = librarian.post(f"{stack.url}/api/v1/books/{book['id']}/copies", json={"barcode": barcode}, timeout=30)
    assert copy.status_code == 201, copy.text
    copy_id = copy.json()["id"]
    lost = librarian.patch(f"{stack.url}/api/v1/copies/{copy_id}", json={"status": "lost"}, timeout=30)
    assert lost.status_code == 200, lost.text

    act_as(page, signed_in, "librarian")
    page.goto(f"{stack.url}/#/books")
    expect(heading(page)).to_be_visible()
    pick_language(page, "fr")

    # The desk in return mode: a lost copy is not on loan, said with its status in French.
    go(page, stack, "#/desk?mode=return")
    expect(page.get_by_role("textbox", name=re.compile(r"Code-barres"))).to_be_focused()
    page.keyboard.type(barcode)
    page.keyboard.press("Enter")
    entry = page.locator(".log-list > li").first
    expect(entry).to_contain_text(f"L'exemplaire {barcode} n'est pas en prêt (perdu).")
    assert not ENGLISH.search(entry.inner_text().replace(barcode, "")), entry.inner_text()
    screenshot(page, "i18n-messages-desk-conflict-fr")

    # An import with bad rows: the preview's report in French.
    path = tmp_path / "bad.csv"
    path.write_bytes((f"title,authors,isbn,barcodes\n,Nobody,,N-{tag}\nPlus {tag},Writer,bad-isbn,F-{tag}\n"
                      f"Good {tag},Writer,,G {tag}\nFine {tag},Writer,,F9-{tag}\n").encode())
    page.goto(f"{stack.url}/#/import")
    page.get_by_label(fr["File to import"]).set_input_files(str(path))
    page.get_by_role("button", name=fr["Upload and check"]).click()
    expect(page.get_by_role("heading", name=fr["Map the columns"])).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=fr["Check the file with this mapping"]).click()
    expect(page.get_by_role("heading", name=fr["Preview: nothing has been written yet"])).to_be_visible(timeout=30_000)
    main = page.locator("main")
    expect(main).to_contain_text("titre : Ne doit pas être vide.")
    expect(main).to_contain_text("ISBN : ISBN non valide")
    expect(main).to_contain_text(f"exemplaire 1 (G {tag}) : le code-barres doit compter au plus")
    report = main.inner_text()
    for line in report.splitlines():
        if line.startswith(("titre :", "ISBN :", "exemplaire ")):
            assert not ENGLISH.search(line), line
    assert english_left(page, "fr") == []
    preview = page.get_by_role("heading", name=fr["Preview: nothing has been written yet"])
    check_views(page, "i18n-messages-import-report-fr", preview)

    # The audit trail: the copy's record, its fields and values in French.
    act_as(page, signed_in, "admin")
    page.goto(f"{stack.url}/#/admin/audit?resource_type=copy&resource_id={copy_id}")
    expect(heading(page)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(main).to_contain_text(f"code-barres : {barcode}")
    expect(main).to_contain_text("état : Disponible")
    assert english_left(page, "fr") == []
    for line in main.inner_text().splitlines():
        assert not re.match(r"(status|last loaned at|barcode|must change password):", line), line
    check_views(page, "i18n-messages-audit-fr", heading(page))
    pick_language(page, "en")
