"""Importing in a real Chromium through the real stack (nginx -> gunicorn -> PostgreSQL, the worker beside them):
a librarian uploads a MARC file, reads the preview, chooses "add copies to the existing book", commits, watches the
progress bar and opens the imported books with their copies; a Libib CSV is mapped column by column in the page;
the catalog's Export menu downloads the search's books. axe at phone and desktop widths, screenshots, no console
errors."""

import csv
import io
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import VIEWPORTS, act_as, api_get, check_axe, heading, screenshot

from . import marcfiles as mf

pytestmark = [pytest.mark.browser, pytest.mark.nginx]


def axe_at_both_widths(page, label):
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        check_axe(page, f"{label} ({size})")
        screenshot(page, f"import-{label.replace(' ', '-')}-{size}")
    page.set_viewport_size(VIEWPORTS["desktop"])


def test_upload_a_marc_file_preview_add_copies_to_existing_and_open_the_books(app_page, stack, signed_in, tmp_path):
    page = app_page
    tag = uuid.uuid4().hex[:6].upper()
    existing = next(b for b in api_get(page, stack, "/books", per_page=100)["items"] if b["isbn"])
    body = mf.iso2709(
        mf.koha_record(existing["title"], "Somebody, Else", [existing["isbn"]], [f"IMP-{tag}-1"]),
        mf.koha_record(f"Imported atlas {tag}", "Mercator, Gerardus", [], [f"IMP-{tag}-2", f"IMP-{tag}-3"]),
        mf.koha_record(f"Imported herbal {tag}", "Culpeper, Nicholas", [], [f"IMP-{tag}-4"], year="1652"))
    path = tmp_path / f"koha-{tag}.mrc"
    path.write_bytes(body)

    act_as(page, signed_in, "librarian")
    page.goto(stack.url + "/#/books")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(heading(page)).to_have_text("Import books")
    axe_at_both_widths(page, "upload")
    page.get_by_label("File to import").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", name="Preview: nothing has been written yet")).to_be_visible(timeout=30_000)
    expect(heading(page)).to_have_text(f"Import of koha-{tag}.mrc")
    totals = page.locator(".import-totals")
    expect(totals.locator(".fact", has_text="New books")).to_contain_text("2")
    expect(totals.locator(".fact", has_text="Duplicates (same ISBN)")).to_contain_text("1")
    duplicates = page.get_by_role("table", name="Duplicates")
    expect(duplicates.get_by_role("link", name=existing["title"])).to_be_visible()
    axe_at_both_widths(page, "preview")

    page.get_by_label("Add copies to the existing book").check()
    page.get_by_role("button", name="Import 3 records").click()
    expect(page.locator("progress")).to_be_visible()  # the progress bar, drawn from the commit's answer
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=60_000)
    figures = page.locator(".import-totals")
    expect(figures.locator(".fact", has_text="Books added")).to_contain_text("2")
    expect(figures.locator(".fact", has_text="Copies added")).to_contain_text("4")
    axe_at_both_widths(page, "report")

    page.get_by_role("link", name="See the new books").click()
    page.get_by_role("link", name=f"Imported atlas {tag}").first.click()
    expect(heading(page)).to_have_text(f"Imported atlas {tag}")
    expect(page.get_by_text(f"IMP-{tag}-2")).to_be_visible()
    expect(page.get_by_text(f"IMP-{tag}-3")).to_be_visible()
    page.goto(f"{stack.url}/#/books/{existing['id']}")
    expect(heading(page)).to_have_text(existing["title"])
    expect(page.get_by_text(f"IMP-{tag}-1")).to_be_visible()  # the duplicate's copy went to the existing book
    screenshot(page, "import-existing-book-with-new-copy-desktop")


def test_map_a_libib_csv_in_the_page_and_export_a_search(app_page, stack, signed_in, tmp_path):
    page = app_page
    tag = uuid.uuid4().hex[:6]
    path = tmp_path / "libib.csv"
    path.write_bytes(mf.libib_csv().replace(b"Good Omens", f"Good Omens {tag}".encode())
                     .replace(b"The Dispossessed", f"The Dispossessed {tag}".encode())
                     .replace(b"No ISBN Here", f"No ISBN Here {tag}".encode())
                     .replace(b"9780552137034", b"").replace(b"0552137030", b"")
                     .replace(b"9780060512750", b"").replace(b"006051275X", b""))
    act_as(page, signed_in, "librarian")
    page.goto(stack.url + "/#/import")
    page.get_by_label("File to import").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Map the columns")).to_be_visible(timeout=30_000)
    expect(page.get_by_label("creators", exact=True)).to_have_value("authors")
    page.get_by_label("collection", exact=True).select_option("subjects")
    axe_at_both_widths(page, "mapping")
    page.get_by_role("button", name="Check the file with this mapping").click()
    expect(page.get_by_role("heading", name="Preview: nothing has been written yet")).to_be_visible(timeout=30_000)
    expect(page.locator(".import-totals .fact", has_text="New books")).to_contain_text("3")
    page.get_by_role("button", name="Import 3 records").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=60_000)

    page.goto(f"{stack.url}/#/books?q={tag}")
    page.get_by_text("Export", exact=True).click()
    link = page.get_by_role("link", name="CSV (spreadsheet)")
    href = link.get_attribute("href")
    assert href.startswith("/api/v1/exports/books.csv") and f"q={tag}" in href
    rows = list(csv.DictReader(io.StringIO(page.request.get(stack.url + href).text())))
    assert sorted(r["title"] for r in rows) == sorted(f"{t} {tag}" for t in ("Good Omens", "The Dispossessed",
                                                                              "No ISBN Here"))
    omens = next(r for r in rows if r["title"].startswith("Good Omens"))
    assert omens["authors"] == "Terry Pratchett;Neil Gaiman" and "Home" in omens["subjects"]
    check_axe(page, "catalog with the export menu open")
    screenshot(page, "import-export-menu-desktop")
