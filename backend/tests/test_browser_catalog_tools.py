"""The catalog tools in Chromium through the real stack (nginx + gunicorn + PostgreSQL): adding a book by ISBN
lookup against the local replay server, uploading a cover and seeing it in the list and on the book page,
scanning an existing book's ISBN with a (fake) camera, and merging two duplicates. axe and screenshots at
phone and desktop widths.
"""

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import (CHROMIUM, VIEWPORTS, act_as, api_get, app_page, check_axe, heading,  # noqa: F401
                           new_book, screenshot)
from tests.factories import image_bytes
from tests.replay import FOX_COVER, FOX_ISBN, ReplayServer, cover_path, openlibrary_path

pytestmark = [pytest.mark.browser, pytest.mark.nginx]


@pytest.fixture(scope="module")
def lookup_stack(stack):
    """The stack with its ISBN lookup pointed at a local replay server (Open Library's recorded answers): the
    backend restarts with the setting, and again without it at the end."""
    with ReplayServer() as replay:
        replay.answer(openlibrary_path(FOX_ISBN), file="openlibrary-9780140328721.json")
        replay.answer(cover_path(FOX_COVER), body=image_bytes("JPEG", (360, 540), color=(200, 120, 40)),
                      content_type="image/jpeg")
        saved = dict(stack.env)
        stack.env.update({key: str(value) for key, value in replay.config("openlibrary", timeout=3.0).items()})
        stack.stop_backend()
        stack.start_backend()
        try:
            yield stack
        finally:
            stack.env.clear()
            stack.env.update(saved)
            stack.stop_backend()
            stack.start_backend()


def image_loaded(locator):
    return locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_add_a_book_by_isbn_lookup(app_page, lookup_stack, signed_in):
    page, stack = app_page, lookup_stack
    existing = api_get(page, stack, "/books", isbn=FOX_ISBN)
    if existing["total"]:  # a rerun on the same stack
        pytest.skip("the recorded book is in the catalog already")
    act_as(page, signed_in, "librarian")
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{stack.url}/#/books/new")
    expect(heading(page)).to_have_text("Add a book")
    expect(page.get_by_role("heading", name="Start with the ISBN")).to_be_visible()
    check_axe(page, "add a book, ISBN first (phone)")
    screenshot(page, "catalog-tools-isbn-first-phone")

    page.set_viewport_size(VIEWPORTS["desktop"])
    page.locator("#lookup-isbn").fill("0-14-032872-6")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("status").filter(has_text="Found in Open Library")).to_be_visible()
    expect(page.locator("#book-title")).to_have_value("Fantastic Mr. Fox")
    expect(page.locator("#book-title")).to_be_focused()
    expect(page.locator("#book-authors")).to_have_value("Roald Dahl")
    expect(page.locator("#book-publisher")).to_have_value("Puffin")
    expect(page.locator("#book-published_year")).to_have_value("1988")
    expect(page.locator("#book-isbn")).to_have_value(FOX_ISBN)
    preview = page.locator(".cover-preview img")
    expect(preview).to_be_visible()
    assert image_loaded(preview)
    check_axe(page, "add a book, filled by the lookup (desktop)")
    screenshot(page, "catalog-tools-lookup-filled-desktop")

    page.get_by_role("button", name="Add book").click()
    expect(heading(page)).to_have_text("Fantastic Mr. Fox")
    expect(page.locator("#flash")).to_contain_text("Added “Fantastic Mr. Fox” to the catalog.")
    cover = page.get_by_role("img", name="Cover of Fantastic Mr. Fox")
    expect(cover).to_be_visible()
    assert image_loaded(cover)
    src = cover.get_attribute("src")
    assert src.startswith("/covers/") and src.endswith("-detail.webp")
    served = page.request.get(f"{stack.url}{src}")
    assert served.ok and served.headers["content-type"] == "image/webp"
    assert "immutable" in served.headers["cache-control"]
    screenshot(page, "catalog-tools-book-with-cover-desktop")

    # Looking the same ISBN up again opens the book instead of making a second one.
    page.goto(f"{stack.url}/#/books/new")
    page.locator("#lookup-isbn").fill(FOX_ISBN)
    page.get_by_role("button", name="Look up").click()
    expect(heading(page)).to_have_text("Fantastic Mr. Fox")
    expect(page.locator("#flash")).to_contain_text("is already in the catalog: you have 0 copies")


def test_upload_a_cover_and_see_it_in_the_list_and_on_the_book_page(app_page, stack, signed_in, tmp_path):
    page = app_page
    word = f"Coverword{uuid.uuid4().hex[:6]}"
    book = new_book(stack, title=f"{word} Atlas", authors=[{"name": "Mercator Cover"}])
    act_as(page, signed_in, "librarian")
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{stack.url}/#/books/{book['id']}")
    expect(heading(page)).to_have_text(book["title"])
    expect(page.locator(".book-cover .cover-placeholder")).to_be_visible()  # no cover yet: the placeholder

    page.goto(f"{stack.url}/#/books/{book['id']}/edit")
    png = tmp_path / "cover.png"
    png.write_bytes(image_bytes("PNG", (600, 900), color=(40, 90, 160)))
    page.get_by_label("Cover image", exact=True).set_input_files(str(png))
    expect(page.locator(".cover-status")).to_have_text("Cover uploaded. It is saved with the book.")
    check_axe(page, "edit a book with a new cover (desktop)")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#flash")).to_contain_text("Saved changes")
    cover = page.get_by_role("img", name=f"Cover of {book['title']}")
    expect(cover).to_be_visible()
    assert image_loaded(cover)

    for name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.goto(f"{stack.url}/#/books?q={word}")
        item = page.locator(".book-item").filter(has_text=book["title"])
        expect(item).to_have_count(1)
        thumb = item.locator(".book-item-cover img")
        expect(thumb).to_be_visible()
        expect(thumb).to_have_attribute("loading", "lazy")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        check_axe(page, f"results with a cover ({name})")
        screenshot(page, f"catalog-tools-list-cover-{name}")


# --- scanning with a fake camera ---------------------------------------------------------------------------

_EAN_L = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011"]
_EAN_G = ["0100111", "0110011", "0011011", "0100001", "0011101", "0111001", "0000101", "0010001", "0001001", "0010111"]
_EAN_R = ["1110010", "1100110", "1101100", "1000010", "1011100", "1001110", "1010000", "1000100", "1001000", "1110100"]
_EAN_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL"]


def ean13_modules(code):
    """The 95 bars and spaces of an EAN-13 (1 = bar), from the standard's encoding tables."""
    digits = [int(d) for d in code]
    parity = _EAN_PARITY[digits[0]]
    left = "".join((_EAN_L if p == "L" else _EAN_G)[d] for p, d in zip(parity, digits[1:7]))
    right = "".join(_EAN_R[d] for d in digits[7:])
    return "101" + left + "01010" + right + "101"


def barcode_video(path, code, width=640, height=480, frames=10):
    """A Y4M video (what Chromium's fake camera plays) of a sharp EAN-13 barcode on white."""
    from PIL import Image, ImageDraw

    modules = ean13_modules(code)
    scale = 4
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    left = (width - len(modules) * scale) // 2
    for index, bit in enumerate(modules):
        if bit == "1":
            x = left + index * scale
            draw.rectangle([x, 120, x + scale - 1, 360], fill=0)
    luma = image.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


def test_scanning_an_existing_isbn_opens_the_book(playwright, stack, signed_in, tmp_path, console_errors):
    """A camera that shows a book's barcode: the scanner (ZXing here, since Chromium on Linux has no
    BarcodeDetector) reads it, and the catalog's copy of the book opens."""
    from tests.factories import isbn13

    isbn = isbn13()
    book = new_book(stack, title=f"Scannable {uuid.uuid4().hex[:6]}", isbn=isbn)
    librarian = stack.login("librarian")
    assert librarian.post(f"{stack.url}/api/v1/books/{book['id']}/copies",
                          json={"barcode": f"SCAN-{uuid.uuid4().hex[:8]}"}, timeout=30).status_code == 201
    video = tmp_path / "barcode.y4m"
    barcode_video(video, isbn)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(viewport=VIEWPORTS["phone"])
        context.grant_permissions(["camera"], origin=stack.url)
        context.add_cookies(signed_in("librarian"))
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})")
                if m.type == "error" and "/api/" not in (m.location or {}).get("url", "") else None)
        page.goto(f"{stack.url}/#/books/new")
        expect(heading(page)).to_have_text("Add a book")
        page.get_by_role("button", name="Scan the ISBN with the camera").click()
        dialog = page.get_by_role("dialog", name="Scan ISBN")
        expect(dialog).to_be_visible()
        screenshot(page, "catalog-tools-scanner-phone")
        expect(heading(page)).to_have_text(book["title"])
        expect(page.locator("#flash")).to_contain_text("is already in the catalog: you have 1 copy.")
        expect(dialog).to_have_count(0)
        assert errors == []
    finally:
        browser.close()


def test_merge_two_duplicates(app_page, stack, signed_in):
    page = app_page
    title = f"Twin Record {uuid.uuid4().hex[:6]}"
    keep = new_book(stack, title=title, authors=[{"name": "Merge Author"}], published_year=2001, publisher="Keep Press")
    other = new_book(stack, title=title, authors=[{"name": "Merge Author"}], published_year=2001)
    act_as(page, signed_in, "librarian")
    for name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.goto(f"{stack.url}/#/duplicates")
        expect(heading(page)).to_have_text("Likely duplicates")
        group = page.locator("article.duplicate-group").filter(has_text=title)
        if group.count() == 0:  # not on the first page: walk the pages
            while group.count() == 0 and page.get_by_role("link", name="Next").count():
                page.get_by_role("link", name="Next").click()
                group = page.locator("article.duplicate-group").filter(has_text=title)
        expect(group).to_have_count(1)
        check_axe(page, f"duplicates ({name})")
        screenshot(page, f"catalog-tools-duplicates-{name}")

    group.get_by_role("radio").nth(0).check()
    assert group.get_by_role("radio").nth(0).get_attribute("value") == str(keep["id"])
    group.get_by_role("button", name="Merge 1 book into the chosen one").click()
    dialog = page.get_by_role("dialog", name="Merge these books?")
    expect(dialog).to_contain_text(f"“{title}” ({other['id']})")
    screenshot(page, "catalog-tools-merge-confirm-phone")
    dialog.get_by_role("button", name="Merge books").click()
    expect(page.locator("#flash")).to_contain_text(f"Merged 1 book into “{title}” (book {keep['id']})")
    expect(page.locator("article.duplicate-group").filter(has_text=title)).to_have_count(0)

    # The merged book's address leads to the survivor.
    page.goto(f"{stack.url}/#/books/{other['id']}")
    expect(heading(page)).to_have_text(title)
    expect(page).to_have_url(f"{stack.url}/#/books/{keep['id']}")
    expect(page.locator("#flash")).to_contain_text("That book was merged into this one.")
    assert api_get(page, stack, f"/books/{keep['id']}")["publisher"] == "Keep Press"


def test_renaming_an_author_tells_a_taken_name_from_a_save_that_met_a_delete(app_page, stack, signed_in):
    """The rename form heads a taken name "merge them below instead"; a save that meets another librarian's delete
    of the author (the real interleaving: their transaction holds the row until the save waits on it) is shown as
    not saved, with the reload advice, not as a name clash."""
    from tests.test_authors import delete_author_under_a_waiting_save

    page = app_page
    librarian = stack.login("librarian")
    word = uuid.uuid4().hex[:6]
    author = librarian.post(f"{stack.url}/api/v1/authors", json={"name": f"Rename Me {word}"}).json()
    taken = librarian.post(f"{stack.url}/api/v1/authors", json={"name": f"Taken Name {word}"}).json()
    act_as(page, signed_in, "librarian")
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"{stack.url}/#/authors/{author['id']}")
    expect(heading(page)).to_have_text(author["name"])
    page.get_by_text("Rename", exact=True).click()
    name = page.get_by_role("textbox", name="Name", exact=True)
    summary = page.locator(".author-panel .error-summary")

    name.fill(taken["name"])
    page.get_by_role("button", name="Save the name").click()
    expect(summary).to_contain_text("Another author has this name: merge them below instead")
    expect(page.locator("#author-name-error")).to_contain_text(f"id {taken['id']}")
    screenshot(page, "catalog-tools-author-name-taken-phone")

    name.fill(f"Saved Meanwhile {word}")
    delete_author_under_a_waiting_save(stack.database_url, author["id"],
                                       page.get_by_role("button", name="Save the name").click)
    expect(summary).to_contain_text("The name was not saved")
    expect(summary).to_contain_text("another request meanwhile; reload it and try again")
    expect(summary).not_to_contain_text("merge them below")
    expect(page.locator("#author-name-error")).to_have_count(0)
    screenshot(page, "catalog-tools-author-save-met-a-delete-phone")
