"""PDF label sheets: the right number of labels, in the right places, with the right text, and Code 128 barcodes
that decode to the copy's barcode or the member's card number (rendered with PDFium, decoded with zxing-cpp)."""

import pypdfium2 as pdfium
import pytest
import zxingcpp

from library.services.labels import SHEETS

from .test_books import assert_problem
from .test_circulation import code, desk  # noqa: F401 (fixture)

DPI = 400


def pdf_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return pdfium.PdfDocument(response.data)


def page_text(page):
    return page.get_textpage().get_text_range()


def decoded(page, sheet):
    """[(text, slot)] of the Code 128 symbols on a page, slot being the label (row by row) each one sits in."""
    scale = DPI / 72
    image = page.render(scale=scale).to_pil()
    found = []
    # try_downscale off: the page is rendered at a known, ample resolution. zxing-cpp's extra passes over shrunken
    # copies of it misread about one card in 300 (a second, wrong text whose check digit happens to pass).
    for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128, try_downscale=False):
        corners = [result.position.top_left, result.position.bottom_right]
        x = sum(p.x for p in corners) / 2 / scale
        y = sum(p.y for p in corners) / 2 / scale  # from the top of the page
        column = int((x - sheet.left) // sheet.pitch_x)
        row = int((y - sheet.top) // sheet.pitch_y)
        inside = 0 <= x - sheet.left - column * sheet.pitch_x <= sheet.width and \
            0 <= y - sheet.top - row * sheet.pitch_y <= sheet.height
        found.append((result.text, row * sheet.columns + column if inside else None))
    return sorted(found, key=lambda item: (item[1] is None, item[1]))


def test_barcode_labels_for_a_books_copies(desk):
    book, _ = desk.book_with_copies(0, title="Über die Brücke: a very long title that cannot fit on one label")
    barcodes = [desk.add_copy(book["id"], barcode=f"LBL-{n}-{code('')[:4]}", call_number=f"833.9 BRU {n}")["barcode"]
                for n in range(3)]
    document = pdf_of(desk.get("/api/v1/labels/copies.pdf", query_string={"book_id": book["id"], "sheet": "L7160"}))
    assert len(document) == 1
    page = document[0]
    assert (round(page.get_width()), round(page.get_height())) == (595, 842)  # A4
    text = page_text(page)
    for n, barcode in enumerate(barcodes):
        assert barcode in text and f"833.9 BRU {n}" in text
    assert text.count("Über die Brücke") == 3 and "…" in text  # cut to fit, with an ellipsis
    assert decoded(page, SHEETS["L7160"]) == [(barcode, slot) for slot, barcode in enumerate(barcodes)]


def test_labels_run_over_sheets_and_skip_used_labels(desk):
    book, _ = desk.book_with_copies(0, title="Many Copies")
    ids = [desk.add_copy(book["id"], barcode=f"MC{n:03d}{code('')[:3]}")["id"] for n in range(5)]
    barcodes = [desk.get(f"/api/v1/copies/{i}").get_json()["barcode"] for i in ids]
    sheet = SHEETS["5160"]
    response = desk.get("/api/v1/labels/copies.pdf", query_string={"copy_id": ids, "sheet": "5160", "skip": 27})
    document = pdf_of(response)
    assert len(document) == 2
    assert (round(document[0].get_width()), round(document[0].get_height())) == (612, 792)  # US letter
    assert decoded(document[0], sheet) == [(barcodes[n], 27 + n) for n in range(3)]
    assert decoded(document[1], sheet) == [(barcodes[3], 0), (barcodes[4], 1)]


def test_small_labels_still_decode(desk):
    book, _ = desk.book_with_copies(0, title="Tiny")
    ids = [desk.add_copy(book["id"], barcode=f"DEMO-{n:04d}-1")["id"] for n in range(7)]
    document = pdf_of(desk.get("/api/v1/labels/copies.pdf", query_string={"copy_id": ids, "sheet": "L7651"}))
    assert [text for text, _slot in decoded(document[0], SHEETS["L7651"])] == [f"DEMO-{n:04d}-1" for n in range(7)]


def test_spine_labels_show_the_call_number(desk):
    book, _ = desk.book_with_copies(0, title="Spines")
    with_number = desk.add_copy(book["id"], call_number="823.914 LEG")
    without = desk.add_copy(book["id"])
    response = desk.get("/api/v1/labels/copies.pdf",
                        query_string={"copy_id": [with_number["id"], without["id"]], "sheet": "5167", "layout": "spine"})
    text = page_text(pdf_of(response)[0])
    assert "823.914" in text and "LEG" in text and "Spines" in text  # no call number: the title
    assert with_number["barcode"] not in text


def test_library_cards(desk, as_role):
    as_role("admin").patch("/api/v1/settings", json={"library_name": "Riverside Library"})
    members = [desk.member(name=name) for name in ("Elif Yılmaz", "Chloé Martin", "Dev Patel")]
    response = desk.get("/api/v1/labels/cards.pdf", query_string={"member_id": [m["id"] for m in members],
                                                                   "sheet": "C32011"})
    page = pdf_of(response)[0]
    text = page_text(page)
    assert text.count("Riverside Library") == 3 and all(m["name"] in text for m in members)
    assert decoded(page, SHEETS["C32011"]) == [(m["card_number"], slot) for slot, m in enumerate(members)]

    assert text.count("Library card") == 3


def test_cards_are_printed_in_the_librarys_language_and_sheets_named_in_the_readers(desk, as_role):
    """A French library prints French cards, whoever prints them; the sheet list follows the reader's language."""
    as_role("admin").patch("/api/v1/settings", json={"library_name": "Médiathèque", "default_language": "fr"})
    member = desk.member(name="Chloé Martin")
    response = desk.get("/api/v1/labels/cards.pdf", query_string={"member_id": [member["id"]], "sheet": "L7160"},
                        headers={"Accept-Language": "en"})
    document = pdf_of(response)
    assert "Carte de lecteur" in page_text(document[0]) and "Library card" not in page_text(document[0])
    assert document.get_metadata_dict()["Title"] == "Cartes de lecteur"
    sheets = {s["name"]: s["description"] for s in desk.get(
        "/api/v1/labels/sheets", headers={"Accept-Language": "es"}).get_json()["items"]}
    assert sheets["L7160"] == "Avery L7160: A4, 21 etiquetas (3 × 7) de 63,5 × 38,1 mm"
    assert sheets["5371"] == "Avery 5371: carta (EE. UU.), 10 carnés (2 × 5) de 3 1/2 × 2 pulg."
    english = {s["name"]: s["description"] for s in desk.get(
        "/api/v1/labels/sheets", headers={"Accept-Language": "en"}).get_json()["items"]}
    assert english["L7160"] == "Avery L7160: A4, 21 labels (3 × 7) of 63.5 × 38.1 mm"


@pytest.mark.parametrize(("params", "field"), [
    ({"sheet": "L7160"}, "_schema"),
    ({"sheet": "A4-ANY", "book_id": 1}, "sheet"),
    ({"sheet": "C32011", "book_id": 1}, "sheet"),  # business cards are not copy labels
    ({"sheet": "L7160", "book_id": 1, "skip": 21}, "skip"),
    ({"sheet": "L7160", "copy_id": 2147483000}, "copy_id"),
])
def test_bad_choices_are_explained(desk, params, field):
    assert field in assert_problem(desk.get("/api/v1/labels/copies.pdf", query_string=params), 422)["errors"]


def test_cards_refuse_sheets_too_small_and_labels_are_for_staff(desk, as_role, anon):
    member = desk.member()
    response = desk.get("/api/v1/labels/cards.pdf", query_string={"member_id": member["id"], "sheet": "L7651"})
    assert "sheet" in assert_problem(response, 422)["errors"]
    assert [s["name"] for s in desk.get("/api/v1/labels/sheets").get_json()["items"]] == list(SHEETS)
    for client, status in ((anon, 401), (as_role("member"), 403)):
        assert_problem(client.get("/api/v1/labels/sheets"), status)
        assert_problem(client.get("/api/v1/labels/cards.pdf", query_string={"member_id": member["id"],
                                                                             "sheet": "C32011"}), status)
