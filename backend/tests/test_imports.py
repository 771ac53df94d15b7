"""Catalog imports through the API on SQLite and PostgreSQL: real-world-shaped files (MARC-8 and UTF-8 ISO 2709,
MARCXML, a Koha export with 952 holdings, a Libib CSV mapped column by column), hostile files, the preview, the
duplicate policies, the rejected records, cancel and undo. The jobs run in the test's process (jobs.claim/run),
as the worker runs them."""

import csv
import io

import pytest
from sqlalchemy import func, select

from library.extensions import db
from library.models import AuditEvent, Book, BookImport, BookIsbn, Copy
from library.services import jobs

from . import marcfiles as mf
from .test_books import assert_problem

KOHA = mf.iso2709(
    mf.koha_record("The Dispossessed :", "Le Guin, Ursula K.", ["0060512758 (pbk.)", "9780060512750"], ["K-1", "K-2"]),
    mf.koha_record("Good omens", "Pratchett, Terry", ["9780552137034"], ["K-3"], year="1990"),
    mf.koha_record("A book without ISBN", "Nobody, Anne", [], ["K-4"], year="2001"),
)


def upload(client, body, filename="books.mrc", content_type="application/marc"):
    return client.post(f"/api/v1/imports?filename={filename}", data=body, headers={"Content-Type": content_type})


def run_jobs(app):
    with app.app_context():
        while (job := jobs.claim("test-worker")) is not None:
            jobs.run(job, "test-worker")


def previewed(app, client, body, **kwargs):
    response = upload(client, body, **kwargs)
    assert response.status_code == 201, response.get_json()
    run_jobs(app)
    shown = client.get(response.headers["Location"]).get_json()
    return shown


def commit(app, client, imp, policy="skip"):
    response = client.post(f"/api/v1/imports/{imp['id']}/commit", json={"policy": policy})
    assert response.status_code == 202, response.get_json()
    run_jobs(app)
    return client.get(f"/api/v1/imports/{imp['id']}").get_json()


def books(anon, **params):
    return anon.get("/api/v1/books", query_string={"per_page": 100, **params}).get_json()["items"]


def test_a_koha_export_is_previewed_then_imported_with_its_copies(app, client, anon):
    imp = previewed(app, client, KOHA)
    assert imp["state"] == "previewed" and imp["format"] == "marc" and imp["records_total"] == 3
    assert {k: imp["preview"][k] for k in ("records", "new", "duplicate", "likely_duplicate", "invalid")} == \
        {"records": 3, "new": 3, "duplicate": 0, "likely_duplicate": 0, "invalid": 0}
    assert books(anon) == []  # the preview wrote nothing

    done = commit(app, client, imp)
    assert done["state"] == "done" and done["job"]["state"] == "done"
    assert (done["job"]["progress_done"], done["job"]["progress_total"]) == (3, 3)
    assert {k: done["result"][k] for k in ("added", "copies_added", "skipped")} == \
        {"added": 3, "copies_added": 4, "skipped": 0}
    found = books(anon, q="dispossessed")[0]
    assert found["title"] == "The Dispossessed" and found["isbn"] == "9780060512750"
    assert [a["name"] for a in found["authors"]] == ["Ursula K. Le Guin"]
    assert found["authors"][0]["sort_name"] == "Le Guin, Ursula K."
    assert found["publisher"] == "Harper & Row" and found["published_year"] == 1974 and found["language"] == "en"
    assert found["subjects"] == ["Science fiction -- History and criticism"] and found["call_number"] == "813.54"
    copies = anon.get(f"/api/v1/books/{found['id']}/copies").get_json()["items"]
    assert [(c["barcode"], c["location"], c["call_number"]) for c in copies] == \
        [("K-1", "FIC", "813.54 LEG"), ("K-2", "FIC", "813.54 LEG")]
    assert found["availability"]["available"] == 2
    with app.app_context():  # 0060512758 is the ISBN-10 form of the same number: one ISBN, not two
        assert db.session.scalar(select(func.count()).select_from(BookIsbn)) == 0
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"import.upload", "import.commit", "import.done"} <= actions
        assert db.session.get(BookImport, imp["id"]).stored_name is None  # the upload is removed once imported


@pytest.mark.parametrize("policy, added, copies, skipped", [
    ("skip", 0, 0, 3), ("add_copies", 0, 1, 0), ("add_anyway", 3, 1, 0)])
def test_a_second_import_of_the_same_books_follows_the_duplicate_policy(app, client, anon, policy, added, copies,
                                                                         skipped):
    commit(app, client, previewed(app, client, KOHA))
    again = mf.iso2709(
        mf.koha_record("The Dispossessed :", "Le Guin, Ursula K.", ["9780060512750"], ["K-1", "NEW-1"]),
        mf.koha_record("Good omens", "Pratchett, Terry", ["0552137030"], []),
        mf.koha_record("A book without ISBN", "Nobody, Anne", [], ["K-4"], year="2001"))
    imp = previewed(app, client, again)
    preview = imp["preview"]
    assert (preview["new"], preview["duplicate"], preview["likely_duplicate"]) == (0, 2, 1)
    kinds = {d["title"]: (d["kind"], d["book_title"]) for d in preview["duplicates"]}
    assert kinds["Good omens"] == ("duplicate", "Good omens")
    assert kinds["A book without ISBN"][0] == "likely_duplicate"
    assert any("K-1" in w["message"] and "already belongs" in w["message"] for w in preview["warnings_shown"])
    done = commit(app, client, imp, policy)
    assert (done["result"]["added"], done["result"]["copies_added"], done["result"]["skipped"]) == (added, copies, skipped)
    assert len(books(anon)) == 3 + added
    if policy == "add_anyway":  # the ISBN stays with the book that has it; the new one keeps it as another ISBN
        twins = books(anon, q="good omens")
        assert sorted(b["isbn"] or "" for b in twins) == ["", "9780552137034"]
        with app.app_context():
            assert set(db.session.scalars(select(BookIsbn.isbn))) == {"9780552137034", "9780060512750"}


def test_marc8_and_utf8_records_and_marcxml(app, client, anon):
    utf8 = mf.record(mf.field("100", "1", " ", "a", "Müller, Jürgen"), mf.field("245", "1", "0", "a", "Über Bücher"),
                     mf.field("041", "0", " ", "a", "ger"), controls=[("008", mf.book_008("2003", "ger"))])
    done = commit(app, client, previewed(app, client, mf.marc8_record() + utf8.as_marc()))
    assert done["result"]["added"] == 2
    marquez = books(anon, q="soledad")[0]
    assert marquez["title"] == "Cien años de soledad" and marquez["language"] == "es"
    assert marquez["authors"][0]["name"] == "Gabriel García Márquez" and marquez["published_year"] == 1967
    assert books(anon, q="bucher")[0]["authors"][0]["name"] == "Jürgen Müller"

    xml = mf.marcxml(mf.record(mf.field("245", "0", "0", "a", "Le Petit Prince", "b", "avec des aquarelles"),
                               mf.field("100", "1", " ", "a", "Saint-Exupéry, Antoine de"),
                               mf.field("020", " ", " ", "a", "9782070612758"),
                               mf.field("250", " ", " ", "a", "Éd. 2007."),
                               controls=[("008", mf.book_008("1943", "fre"))]))
    imp = previewed(app, client, xml, filename="prince.xml", content_type="application/marcxml+xml")
    assert imp["format"] == "marcxml" and imp["preview"]["new"] == 1
    commit(app, client, imp)
    prince = books(anon, isbn="9782070612758")[0]
    assert (prince["subtitle"], prince["language"], prince["edition"]) == ("avec des aquarelles", "fr", "Éd. 2007")


def test_a_libib_csv_is_mapped_column_by_column(app, client, anon):
    response = upload(client, mf.libib_csv(), filename="libib.csv", content_type="text/csv")
    imp = response.get_json()
    assert imp["state"] == "uploaded" and imp["columns"][:3] == ["item_type", "title", "creators"]
    assert imp["sample"][:3] == ["book", "Good Omens", "Terry Pratchett, Neil Gaiman"]
    suggested = imp["suggested_mapping"]
    assert suggested["separator"] == "," and suggested["fields"][1:3] == ["title", "authors"]
    assert suggested["fields"][6:8] == ["isbn", "other_isbns"] and suggested["fields"][0] is None
    mapping = {**suggested, "fields": list(suggested["fields"])}
    mapping["fields"][5] = "subjects"  # "collection" too, as the librarian chose on the mapping step
    bad = client.post(f"/api/v1/imports/{imp['id']}/preview", json={"mapping": {"fields": ["title"], "separator": ","}})
    assert_problem(bad, 422)
    assert client.post(f"/api/v1/imports/{imp['id']}/preview", json={"mapping": mapping}).status_code == 202
    run_jobs(app)
    shown = client.get(f"/api/v1/imports/{imp['id']}").get_json()
    assert shown["preview"]["new"] == 3 and shown["mapping"]["fields"][5] == "subjects"
    commit(app, client, shown)
    omens = books(anon, q="omens")[0]
    assert [a["name"] for a in omens["authors"]] == ["Terry Pratchett", "Neil Gaiman"]
    assert omens["published_year"] == 1990 and omens["subjects"] == ["Fantasy", "Home", "Humour"]
    assert omens["isbn"] == "9780552137034"


HOSTILE = {
    "truncated": (mf.iso2709(mf.koha_record("Whole", "A, B", [], ["H-1"])) +
                  mf.koha_record("Cut short", "A, B", [], ["H-2"]).as_marc()[:150], "truncated"),
    "wrong leader length": (b"01234" + mf.koha_record("Liar", "A, B", [], [])
                            .as_marc()[5:] + mf.koha_record("Honest", "A, B", [], []).as_marc(), "leader gives"),
    "invalid utf-8": (mf.record(mf.field("245", "0", "0", "a", "Bad \udcff bytes")).as_marc()
                      if False else mf.iso2709(mf.record(mf.field("245", "0", "0", "a", "Good"))).replace(b"Good", b"G\xffod")
                      + mf.iso2709(mf.record(mf.field("245", "0", "0", "a", "Fine"))), "not valid UTF-8"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_damaged_marc_file_gives_a_per_record_report_and_imports_the_rest(app, client, anon, name):
    body, reason = HOSTILE[name]
    imp = previewed(app, client, body)
    assert imp["state"] == "previewed"
    assert imp["preview"]["invalid"] == 1 and imp["preview"]["new"] == 1
    problem = imp["preview"]["problems"][0]
    assert any(reason in r for r in problem["reasons"]), problem
    done = commit(app, client, imp)
    assert done["result"]["added"] == 1 and done["rejected_records"] is True
    rejected = client.get(f"/api/v1/imports/{imp['id']}/rejected")
    assert rejected.status_code == 200 and rejected.mimetype == "application/marc"
    assert rejected.data and rejected.data in body  # the record as it was, to fix and import again


def test_huge_records_entities_and_archives_are_refused_clearly(app, client):
    huge = previewed(app, client, mf.many_fields_marcxml(), filename="huge.xml", content_type="application/xml")
    assert huge["preview"]["invalid"] == 1 and huge["preview"]["new"] == 1
    assert "too large" in huge["preview"]["problems"][0]["reasons"][0]

    laughs = previewed(app, client, mf.billion_laughs(), filename="laughs.xml", content_type="application/xml")
    assert laughs["state"] == "failed" and "entit" in laughs["error"]

    bomb = upload(client, mf.zip_bomb(), filename="books.xml", content_type="application/marcxml+xml")
    assert_problem(bomb, 422)
    assert "zip archive" in bomb.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BookImport)) == 2
        assert db.session.scalar(select(func.count()).select_from(Book)) == 0


def test_formula_cells_are_kept_as_text_and_never_written_back_as_formulas(app, client, anon):
    body = ("title,authors,isbn,barcodes\n"
            '"=HYPERLINK(""http://evil.example"",""click"")",@Someone,,F-1\n'
            "+Plus,Writer,bad-isbn,F-2\n").encode()
    imp = upload(client, body, filename="f.csv", content_type="text/csv").get_json()
    client.post(f"/api/v1/imports/{imp['id']}/preview", json={})
    run_jobs(app)
    done = commit(app, client, client.get(f"/api/v1/imports/{imp['id']}").get_json())
    assert done["result"]["added"] == 1 and done["result"]["invalid"] == 1
    assert books(anon)[0]["title"] == '=HYPERLINK("http://evil.example","click")'
    rejected = list(csv.reader(io.StringIO(client.get(f"/api/v1/imports/{imp['id']}/rejected").get_data(as_text=True))))
    assert rejected[0] == ["title", "authors", "isbn", "barcodes", "import_problems"]
    assert rejected[1][0] == "'+Plus" and "isbn" in rejected[1][4]
    exported = list(csv.reader(io.StringIO(client.get("/api/v1/exports/books.csv").get_data(as_text=True))))
    assert exported[1][0].startswith("'=") and exported[1][2] == "'@Someone"


def test_cancel_undoes_what_was_written_and_only_staff_may_import(app, client, as_role):
    imp = previewed(app, client, KOHA)
    client.post(f"/api/v1/imports/{imp['id']}/commit", json={"policy": "skip"})
    with app.app_context():
        job = jobs.claim("w")
    # Another import cannot commit meanwhile.
    other = previewed(app, client, mf.iso2709(mf.koha_record("Other", "X, Y", [], [])))
    assert_problem(client.post(f"/api/v1/imports/{other['id']}/commit", json={"policy": "skip"}), 409)
    assert client.post(f"/api/v1/imports/{imp['id']}/cancel").status_code == 200
    with app.app_context():
        assert jobs.run(job, "w") == "cancelled"
        assert db.session.scalar(select(func.count()).select_from(Book)) == 0
        assert db.session.scalar(select(func.count()).select_from(Copy)) == 0
    shown = client.get(f"/api/v1/imports/{imp['id']}").get_json()
    assert shown["state"] == "cancelled" and shown["error"] == "Cancelled."
    assert as_role("member").post("/api/v1/imports", data=KOHA,
                                  headers={"Content-Type": "application/marc"}).status_code == 403
    assert_problem(client.post("/api/v1/imports", data=b"x", headers={"Content-Type": "image/png"}), 415)
    assert client.delete(f"/api/v1/imports/{imp['id']}").status_code == 204


def test_the_upload_limit_is_the_views_own_and_json_routes_keep_theirs(app, client, monkeypatch):
    view = app.view_functions["imports.ImportList"].view_class.post
    monkeypatch.setattr(view, "_body", (view._body[0], 1000))
    assert_problem(upload(client, KOHA), 413)  # more than this view's limit
    assert upload(client, KOHA[:900]).status_code == 201  # within it (the first record and a part)
    big = {"title": "x" * (1024 * 1024)}
    assert_problem(client.post("/api/v1/books", json=big), 413)


def test_an_upload_with_an_idempotency_key_is_answered_once_and_arrives_whole(app, client, anon):
    # The upload's key is claimed by the digest of the stored file (never the body in memory): a retry gets the
    # same import, the same key with another file is a 422, and neither leaves a file behind.
    sent = {"Content-Type": "application/marc", "Idempotency-Key": "import-upload-1"}
    first = client.post("/api/v1/imports?filename=k.mrc", data=KOHA, headers=sent)
    again = client.post("/api/v1/imports?filename=k.mrc", data=KOHA, headers=sent)
    other = client.post("/api/v1/imports?filename=k.mrc", data=KOHA[:-1], headers=sent)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"] and first.get_json()["size"] == len(KOHA)
    assert_problem(other, 422)
    with app.app_context():
        from library.services import imports

        assert db.session.scalar(select(func.count()).select_from(BookImport)) == 1
        stored = db.session.get(BookImport, first.get_json()["id"]).stored_name
        assert [path.name for path in imports.data_dir().iterdir()] == [stored]
    run_jobs(app)
    imp = client.get(first.headers["Location"]).get_json()
    assert imp["preview"]["records"] == 3
    key = {"Idempotency-Key": "import-commit-1"}
    committed = client.post(f"/api/v1/imports/{imp['id']}/commit", json={"policy": "skip"}, headers=key)
    replayed = client.post(f"/api/v1/imports/{imp['id']}/commit", json={"policy": "skip"}, headers=key)
    assert committed.status_code == replayed.status_code == 202
    assert replayed.headers["Idempotent-Replayed"] == "true"
    run_jobs(app)
    assert len(books(anon)) == 3


def test_cleanup_removes_old_uploads_and_files_no_import_knows(app, client):
    imp = upload(client, mf.libib_csv(), filename="old.csv", content_type="text/csv").get_json()
    from datetime import timedelta

    from library import clock
    from library.services import imports

    with app.app_context():
        row = db.session.get(BookImport, imp["id"])
        kept = imports.data_dir() / row.stored_name
        stray = imports.data_dir() / "stray.upload"
        stray.write_bytes(b"left by a request that died")
        imports.cleanup(clock.now())  # nothing is old yet
        assert kept.exists() and stray.exists()
        imports.cleanup(clock.now() + timedelta(days=8))
        assert not kept.exists() and not stray.exists()
        assert db.session.get(BookImport, imp["id"]).stored_name is None
    assert_problem(client.post(f"/api/v1/imports/{imp['id']}/preview", json={}), 422)
