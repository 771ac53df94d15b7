"""A Python client generated from /api/openapi.json (openapi-python-client, pinned in the test extras) works,
untouched: it searches with filters and a cursor, adds a book, checks a copy out and places a hold, on SQLite
and PostgreSQL. Its function names come from the operationIds (list_books, create_loan ...)."""

import importlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from .factories import isbn13


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Generate the client once per module from the app's spec and import it as `library_client`."""
    from library import create_app

    out = tmp_path_factory.mktemp("client")
    spec = out / "openapi.json"
    app = create_app({"LIBRARY_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    spec.write_bytes(app.test_client().get("/api/openapi.json").data)
    package = out / "library_client"
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none",
         "--output-path", str(package)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})  # its ruff hook
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("library_client")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == "library_client" or m.startswith("library_client.")]:
            del sys.modules[name]


def _module(generated, name):
    return importlib.import_module(f"{generated.__name__}.{name}")


def test_the_generated_client_searches_adds_a_book_checks_out_and_places_a_hold(generated, app, make_user,
                                                                                   make_token):
    api = lambda name: _module(generated, f"api.{name}")  # noqa: E731
    models = _module(generated, "models")
    token = make_token(make_user("librarian"))
    client = generated.AuthenticatedClient(base_url="http://localhost", token=token, raise_on_unexpected_status=True)
    client.set_httpx_client(httpx.Client(base_url="http://localhost", transport=httpx.WSGITransport(app=app),
                                         headers={"Authorization": f"Bearer {token}"}))

    # Add books (typed request models; authors by name).
    tag = uuid.uuid4().hex[:8]
    created = []
    for n in range(5):
        book = api("books.create_book").sync(client=client, body=models.BookIn(
            title=f"Generated {tag} volume {n}", authors=[{"name": f"Client Author{tag}"}], isbn=isbn13(),
            published_year=1990 + n, language="en", subjects=["Generated"]))
        assert isinstance(book, models.BookOut), book
        created.append(book)
    assert created[0].isbn_formatted.startswith("978-")

    # Search with filters and facets, two to a page, then follow the cursor to the end.
    page = api("books.list_books").sync(client=client, q=tag, language="EN",
                                        year_from=1990, sort=models.ListBooksSort.PUBLISHED_YEAR, per_page=2,
                                        facets="subject,decade")
    assert isinstance(page, models.BookPage), page
    assert page.total == 5 and [b.published_year for b in page.items] == [1990, 1991]
    assert page.facets.subject[0].value == "Generated" and page.facets.subject[0].count == 5
    seen = [b.id for b in page.items]
    cursor = page.next_cursor
    while cursor:
        page = api("books.list_books").sync(client=client, q=tag, language="EN",
                                            year_from=1990, sort=models.ListBooksSort.PUBLISHED_YEAR, per_page=2,
                                            cursor=cursor)
        seen += [b.id for b in page.items]
        cursor = page.next_cursor
    assert seen == [b.id for b in created]

    # A copy, a member, a checkout and a hold on the book now out.
    book_id = created[0].id
    copy = api("circulation.create_copy").sync(book_id, client=client, body=models.CopyIn(barcode=f"G-{tag}"))
    assert isinstance(copy, models.CopyOut) and copy.status == models.CopyOutStatus.AVAILABLE
    reader = api("circulation.create_member").sync(client=client, body=models.MemberIn(card_number=f"R-{tag}",
                                                                                       name="Reader"))
    waiting = api("circulation.create_member").sync(client=client, body=models.MemberIn(card_number=f"W-{tag}",
                                                                                        name="Waiter"))
    loan = api("circulation.create_loan").sync(client=client, body={"barcode": copy.barcode,
                                                                    "card_number": reader.card_number})
    assert isinstance(loan, models.LoanOut), loan
    assert loan.book_id == book_id and loan.returned_at is None
    hold = api("circulation.create_hold").sync(client=client, body=models.HoldIn(book_id=book_id,
                                                                                 card_number=waiting.card_number))
    assert isinstance(hold, models.HoldOut), hold
    assert hold.status == models.HoldOutStatus.WAITING and hold.position == 1

    # Errors arrive as the typed problem.
    again = api("circulation.create_loan").sync_detailed(client=client, body={"barcode": copy.barcode,
                                                                              "card_number": waiting.card_number})
    assert again.status_code == 409 and isinstance(again.parsed, models.Problem)
