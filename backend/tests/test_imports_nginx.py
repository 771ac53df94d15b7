"""Through nginx: POST /api/v1/imports takes a file of 200 MB and more (streamed, in chunks, to disk), while every
other route keeps the 1 MiB limit."""

import pytest

pytestmark = [pytest.mark.nginx]

MB = 1024 * 1024


def csv_body(size):
    """A CSV file of `size` bytes, made as it is sent (never whole in this process either)."""
    yield b"title,authors\n"
    line = b"A title long enough to fill the file quickly,Some Author\n" * 1000
    sent = 14
    while sent + len(line) <= size:
        yield line
        sent += len(line)
    yield b"x" * (size - sent - 1) + b"\n"


def test_a_201_mb_file_is_accepted_on_the_import_route_only(stack):
    librarian = stack.login("librarian")
    response = librarian.post(f"{stack.url}/api/v1/imports?filename=big.csv", data=csv_body(201 * MB),
                              headers={"Content-Type": "text/csv"}, timeout=600)
    assert response.status_code == 201, response.text[:500]
    imp = response.json()
    assert imp["size"] == 201 * MB and imp["format"] == "csv" and imp["columns"] == ["title", "authors"]
    assert librarian.delete(f"{stack.url}/api/v1/imports/{imp['id']}", timeout=60).status_code == 204
    big_json = b'{"title": "' + b"x" * (2 * MB) + b'"}'
    refused = librarian.post(f"{stack.url}/api/v1/books", data=big_json,
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert refused.status_code == 413 and "1 MiB" in refused.json()["detail"]
