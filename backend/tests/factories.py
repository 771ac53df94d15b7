"""Builders for test data, made through the API like a client would."""

import itertools
import random

_counter = itertools.count(1)
_rng = random.Random(7)


def isbn13(prefix="978"):
    """A fresh, valid ISBN-13 (check digit computed)."""
    body = prefix + "".join(_rng.choice("0123456789") for _ in range(12 - len(prefix)))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def book_payload(**overrides):
    n = next(_counter)
    data = {
        "title": f"Test Book {n}",
        "authors": [{"name": f"Author Number{n}"}],
        "isbn": isbn13(),
        "published_year": 2000,
        "language": "en",
        "subjects": ["Testing"],
    }
    data.update(overrides)
    return data


def create_book(client, **overrides):
    response = client.post("/api/v1/books", json=book_payload(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def image_bytes(fmt="JPEG", size=(300, 450), color=(180, 60, 40), **save_options):
    """An image file of the given format (JPEG, PNG, WEBP, GIF ...), made with Pillow."""
    import io

    from PIL import Image

    image = Image.new("RGB", size, color)
    for x in range(0, size[0], 10):  # a little detail, so encoders have something to keep
        image.putpixel((x, x * size[1] // max(size[0], 1) % size[1]), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_options)
    return buffer.getvalue()
