"""Cover uploads: each format, too big, not an image, a decompression bomb, EXIF gone, the two sizes; a book's
cover in its detail and in lists (equal to BookOut); unused files pruned."""

import io
import os
import time

import pytest
from PIL import Image

from library.services import covers

from .factories import create_book, image_bytes

COVERS = "/api/v1/covers"


def upload(client, data, content_type="image/jpeg"):
    return client.post(COVERS, data=data, headers={"Content-Type": content_type})


def stored(app, cover_id, size):
    path = os.path.join(app.config["LIBRARY_DATA_DIR"], "covers", cover_id[:2], f"{cover_id}-{size}.webp")
    with open(path, "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
        return image


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_each_format_is_stored_in_two_sizes(app, client, fmt, content_type):
    response = upload(client, image_bytes(fmt, (1000, 1500)), content_type)
    assert response.status_code == 201, response.get_json()
    cover = response.get_json()
    assert cover["list"] == f"/covers/{cover['id'][:2]}/{cover['id']}-list.webp" and response.headers["Location"] == cover["detail"]
    small, large = stored(app, cover["id"], "list"), stored(app, cover["id"], "detail")
    assert small.format == large.format == "WEBP"
    assert small.size == (120, 180) and large.size == (480, 720) == (cover["width"], cover["height"])


def test_a_small_image_is_not_enlarged_and_transparency_kept(app, client):
    image = Image.new("RGBA", (90, 140), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    cover = upload(client, buffer.getvalue(), "image/png").get_json()
    detail = stored(app, cover["id"], "detail")
    assert detail.size == (90, 140) and detail.mode == "RGBA"


def test_exif_is_stripped_and_orientation_applied(app, client):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to show
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    data = image_bytes("JPEG", (600, 400), exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif()[0x010F] == "PhoneMaker"
    cover = upload(client, data).get_json()
    for size in ("list", "detail"):
        image = stored(app, cover["id"], size)
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    assert stored(app, cover["id"], "detail").size == (400, 600)  # upright: portrait after rotation


def test_the_same_image_twice_is_one_cover(client):
    data = image_bytes("PNG")
    assert upload(client, data, "image/png").get_json()["id"] == upload(client, data, "image/png").get_json()["id"]


@pytest.mark.parametrize(("data", "content_type", "status"), [
    (b"%PDF-1.4 not an image", "image/jpeg", 422),
    (image_bytes("GIF"), "image/png", 422),
    (image_bytes("BMP"), "image/jpeg", 422),
    (image_bytes("JPEG")[:200], "image/jpeg", 422),
    (image_bytes("JPEG"), "text/plain", 415),
    (b'{"image": "no"}', "application/json", 415),
], ids=["pdf", "gif", "bmp", "truncated", "text-plain", "json"])
def test_what_is_not_an_acceptable_image_is_refused(client, tmp_path, data, content_type, status):
    response = upload(client, data, content_type)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert not list((tmp_path / "covers").glob("*/*")) if (tmp_path / "covers").exists() else True


def test_too_big_is_413(client):
    response = upload(client, b"\xff\xd8" + b"0" * covers.MAX_BYTES)
    assert response.status_code == 413 and "5 MiB" in response.get_json()["detail"]


def png_bomb(side=20_000):
    """A real 1-bit PNG of side x side black pixels: 400 million pixels in about 50 KB."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), b"\0" * (1 + side // 8)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_without_decoding_it(client):
    data = png_bomb()
    assert len(data) < covers.MAX_BYTES
    started = time.monotonic()
    response = upload(client, data, "image/png")
    assert response.status_code == 422 and "million pixels" in response.get_json()["detail"]
    assert time.monotonic() - started < 5


def test_only_staff_upload(as_role, anon):
    assert upload(anon, image_bytes()).status_code == 401
    assert upload(as_role("member"), image_bytes()).status_code == 403


def test_a_book_shows_its_cover_in_detail_and_lists(client, anon):
    cover = upload(client, image_bytes()).get_json()
    book = create_book(client, cover_id=cover["id"])
    expected = {"id": cover["id"], "list": cover["list"], "detail": cover["detail"]}
    assert book["cover"] == expected
    assert anon.get(f"/api/v1/books/{book['id']}").get_json()["cover"] == expected
    listed = anon.get("/api/v1/books", query_string={"isbn": book["isbn"]}).get_json()["items"]
    assert listed == [book]  # the plain-row list item equals BookOut
    removed = client.patch(f"/api/v1/books/{book['id']}", json={"cover_id": None}).get_json()
    assert removed["cover"] is None


@pytest.mark.parametrize("cover_id", ["0" * 32, "not-hex", "A" * 32])
def test_an_unknown_cover_id_is_422(client, cover_id):
    response = client.post("/api/v1/books", json={"title": "No such cover", "cover_id": cover_id})
    assert response.status_code == 422 and "cover_id" in response.get_json()["errors"]


def test_prune_removes_only_old_unused_files(tmp_path):
    store = covers.CoverStore(tmp_path / "covers")
    used, unused = store.save(image_bytes("PNG", color=(1, 2, 3))), store.save(image_bytes("PNG", color=(4, 5, 6)))
    assert store.prune({used.id}) == 0  # too young
    assert store.prune({used.id}, now=time.time() + 2 * covers.PRUNE_AGE_SECONDS) == 2
    assert store.exists(used.id) and not store.exists(unused.id)
