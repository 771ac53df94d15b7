"""Catalog imports as background jobs: an uploaded file (MARC 21 as ISO 2709 or MARCXML, or CSV) is kept under
LIBRARY_DATA_DIR/imports, previewed (a dry run: what would happen to each record), then committed with a duplicate
policy, and finally removed.

States: uploaded (a CSV waiting for its column mapping) -> previewing -> previewed -> importing -> done, or failed /
cancelled (a preview or a commit can be started again from there while the file is kept).

The commit ("import.commit" jobs) writes in batches; each batch's transaction also records what it created and
where in the file it ended (ImportBatch). A worker that stops (restart, SIGTERM) or dies (its lease runs out) leaves
whole batches only: the job is queued again and resumes after the last batch. A cancel, a failure, or a third
lost worker undoes every batch (abandon) and marks the import failed or cancelled with the reason. At most one
import commits at a time (a partial unique index on book_import).
"""

import base64
import hashlib
import itertools
import json
import logging
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, exists, or_, select

from .. import clock
from ..extensions import db
from ..i18n import N_, label
from ..models import Author, Book, BookImport, BookIsbn, Copy, Hold, ImportBatch, Job, Loan, Subject
from ..models import BookAuthor, book_subjects
from . import audit, bookcsv, importer, jobs, marc

log = logging.getLogger("library.imports")
MAX_UPLOAD_BYTES = 256 * 1024 * 1024  # nginx's client_max_body_size for POST /api/v1/imports says the same
CHUNK = 1 << 20
KEEP_UPLOADS = timedelta(days=7)  # an upload nobody committed (or whose commit failed) is removed after this
KEEP_REJECTED = timedelta(days=30)
EXTENSIONS = {".mrc": "marc", ".marc": "marc", ".iso": "marc", ".iso2709": "marc", ".dat": "marc",
              ".xml": "marcxml", ".marcxml": "marcxml", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}
FORMAT_NAMES = {"marc": "MARC 21 (ISO 2709)", "marcxml": "MARCXML", "csv": "CSV"}
ACTIVE = ("previewing", "importing")


class ImportProblem(ValueError):
    """Something about the file or the request that the user can act on."""


def data_dir() -> Path:
    from flask import current_app  # the app's setting, read where the job or request runs

    path = Path(current_app.config["LIBRARY_DATA_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the file --------------------------------------------------------------------------------------------

def sniff(head: bytes, filename: str = "") -> str:
    """The format of a file from its first bytes (and its name when they do not tell); ImportProblem if none."""
    kind = marc.compressed_kind(head)
    if kind:
        raise ImportProblem(f"The file is {label('file kind', kind)}, not a MARC or CSV file. Unpack it and upload "
                            "what is inside (compressed files are not opened, so a small file cannot unpack into a "
                            "huge one).")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise ImportProblem("The file is empty.")
    if len(text) >= 24 and text[:5].isdigit() and text[10:12] == b"22" and text[20:24] == b"4500":
        return "marc"
    if text.startswith(b"<"):
        return "marcxml"
    by_name = EXTENSIONS.get(Path(filename or "").suffix.lower())
    if by_name == "marc" and text[:5].isdigit():
        return "marc"  # a damaged leader: each record is checked on its own
    if b"\x00" in head[:4096]:
        raise ImportProblem("The file is neither MARC (ISO 2709 or MARCXML) nor CSV text.")
    return "csv"


def store_upload(stream, filename: str, max_bytes: int = MAX_UPLOAD_BYTES) -> dict:
    """Stream a request body into a new file under the data folder, a megabyte at a time; returns its facts.
    The format is recognised from the content; an unrecognised or compressed file is removed again."""
    folder = data_dir()
    stored = f"{secrets.token_hex(12)}.upload"
    path = folder / stored
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with open(path, "xb") as out:
            while True:
                block = stream.read(CHUNK)
                if not block:
                    break
                size += len(block)
                if size > max_bytes:
                    raise ImportProblem(f"The file is larger than {max_bytes // (1024 * 1024)} MiB.")
                if len(head) < 4096:
                    head += block[:4096 - len(head)]
                digest.update(block)
                out.write(block)
        file_format = sniff(head, filename)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    columns = sample = None
    if file_format == "csv":
        with open(path, "rb") as binary:
            columns, _, sample = bookcsv.read_header(binary, sample=True)
        if not any(columns):
            path.unlink(missing_ok=True)
            raise ImportProblem("The CSV file has no header row (line 1 names the columns).")
        if len(columns) > bookcsv.MAX_COLUMNS:
            path.unlink(missing_ok=True)
            raise ImportProblem(f"The CSV file has {len(columns)} columns; at most {bookcsv.MAX_COLUMNS} are read.")
    return {"stored_name": stored, "size": size, "sha256": digest.hexdigest(), "format": file_format,
            "columns": columns, "sample": sample}


def records_of(file_format: str, path: Path, mapping: dict | None = None, strict_isbn: bool = True):
    """The records of a file, read as they are needed (a file object stays open while they are)."""
    with open(path, "rb") as binary:
        if file_format == "marc":
            yield from marc.read_iso2709(binary)
        elif file_format == "marcxml":
            yield from marc.read_marcxml(binary)
        else:
            yield from bookcsv.read_rows(binary, mapping, strict_isbn)


def estimate_records(file_format: str, path: Path) -> int:
    """A quick count for the progress bar: record terminators, closing record tags, or lines."""
    pattern = {"marc": re.compile(rb"\x1d"), "marcxml": re.compile(rb"</(?:[\w.-]+:)?record\s*>")}.get(file_format)
    count, tail = 0, b""
    with open(path, "rb") as binary:
        while block := binary.read(CHUNK):
            if pattern is None:
                count += block.count(b"\n")
            else:
                data = tail + block
                count += len(pattern.findall(data))
                cut = max(data.rfind(b"<"), len(data) - 64)
                tail = data[cut:] if not pattern.search(data[cut:]) else b""
    return max(count - (1 if file_format == "csv" else 0), 1)


def upload_path(imp: BookImport) -> Path | None:
    if not imp.stored_name:
        return None
    path = data_dir() / imp.stored_name
    return path if path.exists() else None


def rejected_path(imp: BookImport) -> Path:
    return data_dir() / f"{imp.id}.rejected.jsonl"


def remove_stored(stored_name: str) -> None:
    """Remove a stored upload that no import records (a refused or repeated upload)."""
    (data_dir() / stored_name).unlink(missing_ok=True)


def _remove_upload(imp: BookImport) -> None:
    if imp.stored_name:
        remove_stored(imp.stored_name)
        imp.stored_name = None


# --- the import's life -----------------------------------------------------------------------------------

def create(facts: dict, filename: str, user_id: int | None) -> BookImport:
    """Record an upload (commits); a MARC file's preview starts at once, a CSV waits for its mapping."""
    imp = BookImport(state="uploaded", format=facts["format"], filename=filename, stored_name=facts["stored_name"],
                     size=facts["size"], sha256=facts["sha256"], columns=facts["columns"], sample=facts.get("sample"),
                     created_by_id=user_id)
    db.session.add(imp)
    db.session.flush()
    audit.record("import.upload", summary={"import": imp.id, "filename": filename, "format": imp.format,
                                           "bytes": imp.size})
    if imp.format != "csv":
        _start(imp, "import.preview", "previewing", user_id)
    db.session.commit()
    return imp


def suggested_mapping(imp: BookImport) -> dict | None:
    return bookcsv.suggest_mapping(imp.columns) if imp.format == "csv" and imp.columns else None


def _start(imp, kind, state, user_id):
    job = jobs.enqueue(kind, {"import_id": imp.id}, created_by_id=user_id, total=imp.records_total)
    imp.job_id, imp.state, imp.error = job.id, state, None
    imp.finished_at = None


def sync(imp: BookImport) -> BookImport:
    """An import whose job ended without telling it (cancelled while queued, say) takes the job's end."""
    if imp.state in ACTIVE:
        job = db.session.get(Job, imp.job_id) if imp.job_id else None
        if job is None or job.state in ("failed", "cancelled"):
            imp.state = "cancelled" if job is not None and job.state == "cancelled" else "failed"
            imp.error = job.error if job is not None else N_("Its job is gone.")
            imp.finished_at = clock.now()
            db.session.commit()
    return imp


def start_preview(imp: BookImport, mapping: dict | None, user_id: int | None) -> BookImport:
    sync(imp)
    if imp.state in ACTIVE or imp.state == "done":
        raise ImportProblem(f"The import is {label('import state', imp.state)}; a preview can be made before it is "
                            "committed.")
    if upload_path(imp) is None:
        raise ImportProblem("The uploaded file is no longer kept; upload it again.")
    if imp.format == "csv":
        mapping = mapping or imp.mapping or suggested_mapping(imp)
        problems = bookcsv.check_mapping(mapping, len(imp.columns or []))
        if problems:
            raise ImportProblem(" ".join(problems))
        imp.mapping = {"fields": mapping["fields"], "separator": mapping.get("separator") or ";"}
    elif mapping:
        raise ImportProblem("Only a CSV file has a column mapping.")
    _start(imp, "import.preview", "previewing", user_id)
    db.session.commit()
    return imp


def start_commit(imp: BookImport, policy: str, user_id: int | None) -> BookImport:
    """Queue the import of the previewed file with this duplicate policy (commits). ImportProblem if it cannot
    be; IntegrityError (the partial unique index) when another import is committing."""
    sync(imp)
    if imp.state not in ("previewed", "failed", "cancelled") or imp.preview is None:
        raise ImportProblem(f"The import is {label('import state', imp.state)}; preview it first."
                            if imp.preview is None else f"The import is {label('import state', imp.state)}.")
    if upload_path(imp) is None:
        raise ImportProblem("The uploaded file is no longer kept; upload it again.")
    other = db.session.scalar(select(BookImport.id).where(BookImport.state == "importing"))
    if other is not None:
        raise ImportProblem(f"Import {other} is being committed; start this one when it has finished.")
    imp.policy, imp.result, imp.after_book_id = policy, None, None
    db.session.execute(delete(ImportBatch).where(ImportBatch.import_id == imp.id))
    _start(imp, "import.commit", "importing", user_id)
    audit.record("import.commit", summary={"import": imp.id, "filename": imp.filename, "policy": policy})
    db.session.commit()
    return imp


def discard(imp: BookImport) -> None:
    """Forget an import and its files (not while it runs)."""
    sync(imp)
    if imp.state in ACTIVE:
        raise ImportProblem(f"The import is {label('import state', imp.state)}; cancel it first.")
    _remove_upload(imp)
    rejected_path(imp).unlink(missing_ok=True)
    audit.record("import.delete", summary={"import": imp.id, "filename": imp.filename})
    db.session.delete(imp)
    db.session.commit()


# --- the jobs ---------------------------------------------------------------------------------------------

def _import_for(ctx, state) -> BookImport:
    imp = db.session.get(BookImport, ctx.params.get("import_id"))
    if imp is None:
        raise jobs.JobError("The import was deleted.")
    if imp.state != state:
        raise jobs.JobError(f"The import is {label('import state', imp.state)}, not {label('import state', state)}.")
    path = upload_path(imp)
    if path is None:
        raise jobs.JobError("The uploaded file is no longer there; upload it again.")
    return imp, path


def _records(imp, path):
    return records_of(imp.format, path, imp.mapping)


@jobs.kind("import.preview", resumable=True)
def run_preview(ctx):
    """A dry run over the whole file: each record's outcome, totals, the first problems. Writes only progress."""
    imp, path = _import_for(ctx, "previewing")
    estimate = estimate_records(imp.format, path)
    ctx.progress(0, estimate)
    db.session.commit()

    def on_batch(_report, done, _written):
        ctx.progress(done, max(estimate, done))
        db.session.commit()

    try:
        report = importer.plan_and_write(_records(imp, path), dry_run=True, on_batch=on_batch)
    except marc.FileError as error:
        raise jobs.JobError(str(error)) from None
    imp = db.session.get(BookImport, imp.id)
    imp.preview, imp.records_total, imp.state = report.as_dict(), report.records, "previewed"
    ctx.progress(report.records, report.records)
    db.session.commit()
    return {"import_id": imp.id, "records": report.records}


def _rejected_line(record) -> dict:
    raw = record.raw
    if isinstance(raw, bytes):
        raw = {"marc": base64.b64encode(raw).decode()}
    elif isinstance(raw, list):
        raw = {"cells": [cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for cell in raw]}
    elif raw is not None:  # a pymarc record read from MARCXML
        raw = {"xml": marc.as_marcxml(raw).decode()}
    return {"record": record.number, "line": record.line, "problems": record.problems[:10], "raw": raw}


@jobs.kind("import.commit", resumable=True, abandon=lambda job: undo(job))
def run_commit(ctx):
    imp = db.session.get(BookImport, ctx.params.get("import_id"))
    if imp is not None and imp.state == "done":  # finished before its worker could say so
        return {"import_id": imp.id, **{k: imp.result.get(k) for k in ("added", "copies_added")}}
    imp, path = _import_for(ctx, "importing")
    last = db.session.scalars(select(ImportBatch).where(ImportBatch.import_id == imp.id)
                              .order_by(ImportBatch.seq.desc()).limit(1)).first()
    report = importer.Report.from_dict(last.counts) if last else importer.Report()
    seq, skip = (last.seq, last.records_done) if last else (0, 0)
    if imp.after_book_id is None:
        imp.after_book_id = importer.last_book_id()
    total = imp.records_total
    ctx.progress(skip, total)
    db.session.commit()
    import_id, policy, after_id = imp.id, imp.policy, imp.after_book_id
    rejected = open(rejected_path(imp), "a+b")
    try:
        rejected.truncate(last.rejected_bytes if last else 0)
        rejected.seek(0, os.SEEK_END)

        def on_invalid(record):
            rejected.write(json.dumps(_rejected_line(record)).encode() + b"\n")

        def on_batch(report, done, written):
            nonlocal seq
            rejected.flush()
            seq += 1
            db.session.add(ImportBatch(import_id=import_id, seq=seq, records_done=done, rejected_bytes=rejected.tell(),
                                       counts=report.as_dict(), book_ids=written.book_ids, copy_ids=written.copy_ids,
                                       author_ids=written.author_ids, subject_ids=written.subject_ids,
                                       isbns=written.isbns))
            ctx.progress(done, max(total or 0, done))

        records = itertools.islice(_records(imp, path), skip, None)
        try:
            report = importer.plan_and_write(records, policy=policy, report=report, on_batch=on_batch,
                                             on_invalid=on_invalid)
        except marc.FileError as error:
            raise jobs.JobError(str(error)) from None
        has_rejected = rejected.tell() > 0
    finally:
        rejected.close()
    importer.finish(after_id)
    imp = db.session.get(BookImport, import_id)
    imp.state, imp.result, imp.finished_at = "done", report.as_dict(), clock.now()
    imp.rejected_name = rejected_path(imp).name if has_rejected else None
    if not has_rejected:
        rejected_path(imp).unlink(missing_ok=True)
    _remove_upload(imp)
    db.session.execute(delete(ImportBatch).where(ImportBatch.import_id == import_id))
    audit.record("import.done", actor=None, actor_label=_creator(imp),
                 summary={"import": import_id, **{k: getattr(report, k) for k in report.COUNTERS}})
    db.session.commit()
    if report.added >= 10_000:
        importer.analyze()
    return {"import_id": import_id, "added": report.added, "copies_added": report.copies_added}


def _creator(imp) -> str | None:
    from ..models import User

    user = db.session.get(User, imp.created_by_id) if imp.created_by_id else None
    return user.email if user else None


def undo(job: Job) -> None:
    """Remove what an unfinished commit wrote (idempotent), and mark its import failed or cancelled. Copies and
    books that circulation has used meanwhile (a loan, a hold) are kept."""
    imp = db.session.get(BookImport, (job.params or {}).get("import_id"))
    if imp is None:
        return
    used_copy = or_(exists().where(Loan.copy_id == Copy.id), exists().where(Hold.copy_id == Copy.id))
    for batch in db.session.scalars(select(ImportBatch).where(ImportBatch.import_id == imp.id)
                                    .order_by(ImportBatch.seq.desc())).all():
        if batch.copy_ids:
            db.session.execute(delete(Copy).where(Copy.id.in_(batch.copy_ids), ~used_copy)
                               .execution_options(synchronize_session=False))
        for book_id, isbn in batch.isbns:
            db.session.execute(delete(BookIsbn).where(BookIsbn.book_id == book_id, BookIsbn.isbn == isbn))
        if batch.book_ids:
            db.session.execute(delete(Book).where(
                Book.id.in_(batch.book_ids), ~exists().where(Copy.book_id == Book.id),
                ~exists().where(Hold.book_id == Book.id)).execution_options(synchronize_session=False))
        if batch.author_ids:
            db.session.execute(delete(Author).where(Author.id.in_(batch.author_ids),
                                                    ~exists().where(BookAuthor.author_id == Author.id))
                               .execution_options(synchronize_session=False))
        if batch.subject_ids:
            db.session.execute(delete(Subject).where(Subject.id.in_(batch.subject_ids),
                                                     ~exists().where(book_subjects.c.subject_id == Subject.id))
                               .execution_options(synchronize_session=False))
        db.session.delete(batch)
    if imp.state in ACTIVE:
        imp.state = "cancelled" if job.cancel_requested else "failed"
        imp.finished_at = clock.now()
    rejected_path(imp).unlink(missing_ok=True)
    log.warning("import %s: its unfinished commit was undone", imp.id)


@jobs.periodic("imports.cleanup", timedelta(days=1))
def cleanup(now) -> None:
    """Remove uploads nobody committed, rejected-record files after a while, and files no import knows."""
    folder = data_dir()
    for imp in db.session.scalars(select(BookImport).where(BookImport.state.not_in(ACTIVE))).all():
        age = now - (imp.finished_at or imp.updated_at)
        if imp.stored_name and age > KEEP_UPLOADS:
            _remove_upload(imp)
        if imp.rejected_name and age > KEEP_REJECTED:
            rejected_path(imp).unlink(missing_ok=True)
            imp.rejected_name = None
    db.session.commit()
    known = {name for name in db.session.scalars(select(BookImport.stored_name)) if name}
    known |= {f"{i}.rejected.jsonl" for i in db.session.scalars(select(BookImport.id))}
    for path in folder.iterdir():
        if path.name not in known and now.timestamp() - path.stat().st_mtime > 86_400:
            path.unlink(missing_ok=True)  # a body whose request or process died before its import was recorded


def rejected_records(imp: BookImport):
    """The rejected records (dicts from the job's file), in file order."""
    path = rejected_path(imp)
    if not imp.rejected_name or not path.exists():
        return
    with open(path, "rb") as lines:
        for line in lines:
            yield json.loads(line)
