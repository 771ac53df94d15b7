"""/api/v1/imports: bring a catalog in (MARC 21, MARCXML, CSV): upload, preview (a dry run), commit with a duplicate
policy as a background job, follow its progress, download the rejected records. Staff only; audited."""

import base64
import binascii
import re

from flask import Response, request, stream_with_context, url_for
from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import i18n
from ..authz import STAFF, access
from ..errors import PROBLEM_JSON, Conflict, Problem, ProblemSchema, request_language
from ..extensions import db
from ..i18n import N_, label, said_all
from ..models import BookImport, Job
from ..schemas.common import page_of
from ..schemas.imports import FIELD_CHOICES, CommitIn, ImportOut, ImportQuery, PreviewIn, UploadQuery
from ..services import audit, imports, jobs
from ..services.imports import ImportProblem
from . import idempotency
from .base import Blueprint, accepts_body
from .csvfile import csv_response
from .pagination import LINK_HEADER, page_of_query, page_response

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports", description="Catalog imports (MARC, CSV)")
ImportPage = page_of(ImportOut, "ImportPage")
UPLOAD_TYPES = ("application/marc", "application/marcxml+xml", "application/xml", "text/xml", "text/csv",
                "application/octet-stream")
CONFLICT = {"schema": ProblemSchema, "content_type": PROBLEM_JSON}


def report_in(report: dict | None, language: str) -> dict | None:
    """A stored report with its problems and warnings in the reader's language. They are stored in English (the
    msgids, values filled in) and translated as problem details are, so reports stored before this read the same."""
    if not report or language == i18n.FALLBACK:
        return report
    return {**report,
            "problems": [{**problem, "reasons": [i18n.translate(r, language) for r in problem.get("reasons") or []]}
                         for problem in report.get("problems") or []],
            "warnings_shown": [{**note, "message": i18n.translate(note.get("message"), language)}
                               for note in report.get("warnings_shown") or []]}


def import_out(imp: BookImport) -> dict:
    job = db.session.get(Job, imp.job_id) if imp.job_id else None
    language = request_language()
    error = imp.error or (job.error if job is not None and imp.state in ("failed", "cancelled") else None)
    return {
        "id": imp.id, "state": imp.state, "format": imp.format, "filename": imp.filename, "size": imp.size,
        "columns": imp.columns, "sample": imp.sample, "mapping": imp.mapping, "suggested_mapping": imports.suggested_mapping(imp),
        "fields_available": FIELD_CHOICES if imp.format == "csv" else None, "policy": imp.policy,
        "preview": report_in(imp.preview, language), "result": report_in(imp.result, language),
        "error": i18n.translate(error, language),
        "records_total": imp.records_total,
        "job": None if job is None else {"id": job.id, "state": job.state, "progress_done": job.progress_done,
                                         "progress_total": job.progress_total,
                                         "error": i18n.translate(job.error, language)},
        "rejected_records": bool(imp.rejected_name), "created_at": imp.created_at, "finished_at": imp.finished_at,
    }


def get_import_or_404(import_id) -> BookImport:
    return imports.sync(db.get_or_404(BookImport, import_id, description=f"No import with id {import_id}."))


def _user_id():
    user = audit.current_actor()
    return user.id if user is not None else None


def _problem(error: ImportProblem):
    return Problem(422, str(error), {"_file": [str(error)]})


@blp.route("")
class ImportList(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listImports")
    @blp.arguments(ImportQuery, location="query")
    @blp.response(200, ImportPage, headers=LINK_HEADER)
    def get(self, args):
        """Imports, newest first"""
        items, total = page_of_query(select(BookImport), args, [BookImport.id.desc()])
        return page_response([import_out(imports.sync(item)) for item in items], total, args)

    @access(STAFF)
    @accepts_body(*UPLOAD_TYPES, max_bytes=imports.MAX_UPLOAD_BYTES, streamed=True)
    @blp.doc(operationId="uploadImport", requestBody={
        "required": True,
        "description": "The file itself as the body (not a form): MARC 21 (ISO 2709, MARC-8 or UTF-8), MARCXML, or "
                       "CSV with a header row; at most 256 MiB. The format is recognised from the content. A MARC "
                       "file's preview starts at once; a CSV file waits for its column mapping (POST .../preview).",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in UPLOAD_TYPES}})
    @blp.arguments(UploadQuery, location="query")
    @blp.response(201, ImportOut, headers={"Location": {"description": "URL of the import",
                                                        "schema": {"type": "string"}}})
    def post(self, args):
        """Upload a file to import (streamed to disk, never held in memory whole)"""
        media = request.mimetype or ""
        if media not in UPLOAD_TYPES:
            raise Problem(415, f"Send the file as the body with one of these types: {', '.join(UPLOAD_TYPES)}.")
        if request.headers.get("Content-Encoding", "identity").lower() not in ("", "identity"):
            raise Problem(415, "Send the file uncompressed (no Content-Encoding).")
        filename = (args.get("filename") or "upload").replace("/", "_").replace("\\", "_")
        try:
            facts = imports.store_upload(request.stream, filename)
        except ImportProblem as error:
            raise _problem(error) from None
        try:
            replay = idempotency.claim_streamed(facts["sha256"])
        except BaseException:
            imports.remove_stored(facts["stored_name"])
            raise
        if replay is not None:  # a retry of an upload that was answered: the same import again
            imports.remove_stored(facts["stored_name"])
            return replay
        imp = imports.create(facts, filename, _user_id())
        return import_out(imp), {"Location": url_for("imports.ImportItem", import_id=imp.id)}


@blp.route("/<id:import_id>")
class ImportItem(MethodView):
    @access(STAFF)
    @blp.doc(operationId="getImport")
    @blp.response(200, ImportOut)
    def get(self, import_id):
        """An import: its state, the preview, the progress of its job (records done / total) and the outcome"""
        return import_out(get_import_or_404(import_id))

    @access(STAFF)
    @blp.doc(operationId="deleteImport")
    @blp.response(204)
    @blp.alt_response(409, description="The import is running", **CONFLICT)
    def delete(self, import_id):
        """Forget an import and remove its files (the books it imported stay)"""
        try:
            imports.discard(get_import_or_404(import_id))
        except ImportProblem as error:
            raise Conflict(str(error)) from None


@blp.route("/<id:import_id>/preview")
class ImportPreview(MethodView):
    @access(STAFF)
    @blp.doc(operationId="previewImport")
    @blp.arguments(PreviewIn)
    @blp.response(202, ImportOut)
    @blp.alt_response(409, description="The import is running or done", **CONFLICT)
    def post(self, data, import_id):
        """Preview the import again (a dry run that writes nothing), e.g. with another CSV column mapping"""
        imp = get_import_or_404(import_id)
        if imp.state in imports.ACTIVE or imp.state == "done":
            raise Conflict(f"The import is {label('import state', imp.state)}.")
        try:
            mapping = data.get("mapping")
            if mapping is not None:
                mapping = {"fields": mapping["column_fields"], "separator": mapping["separator"]}
            imports.start_preview(imp, mapping, _user_id())
        except ImportProblem as error:
            raise _problem(error) from None
        return import_out(imp)


@blp.route("/<id:import_id>/commit")
class ImportCommit(MethodView):
    @access(STAFF)
    @blp.doc(operationId="commitImport")
    @blp.arguments(CommitIn)
    @blp.response(202, ImportOut)
    @blp.alt_response(409, description="Not previewed yet, already done, or another import is running", **CONFLICT)
    def post(self, data, import_id):
        """Import the previewed file with a duplicate policy, as a background job (follow it with GET)"""
        imp = get_import_or_404(import_id)
        try:
            imports.start_commit(imp, data["policy"], _user_id())
        except ImportProblem as error:
            raise Conflict(str(error)) from None
        except IntegrityError:  # another import began committing at the same moment
            db.session.rollback()
            raise Conflict("Another import is being committed; start this one when it has finished.") from None
        return import_out(imp)


@blp.route("/<id:import_id>/cancel")
class ImportCancel(MethodView):
    @access(STAFF)
    @blp.doc(operationId="cancelImport")
    @blp.response(200, ImportOut)
    @blp.alt_response(409, description="Nothing is running", **CONFLICT)
    def post(self, import_id):
        """Cancel a running preview or commit; a commit's books are removed again"""
        imp = get_import_or_404(import_id)
        job = db.session.get(Job, imp.job_id) if imp.job_id else None
        if imp.state not in imports.ACTIVE or job is None or not jobs.request_cancel(job):
            raise Conflict(f"The import is {label('import state', imp.state)}; nothing to cancel.")
        db.session.refresh(imp)
        return import_out(imports.sync(imp))


@blp.route("/<id:import_id>/rejected")
class ImportRejected(MethodView):
    @access(STAFF)
    @blp.doc(operationId="downloadRejectedRecords", responses={"200": {
        "description": "The records that were not imported, in the file's own format (CSV gets an import_problems "
                       "column), to fix and import again",
        "content": {"text/csv": {"schema": {"type": "string"}},
                    "application/marc": {"schema": {"type": "string", "format": "binary"}},
                    "application/marcxml+xml": {"schema": {"type": "string"}}}}})
    def get(self, import_id):
        """The rejected records of a finished import"""
        imp = get_import_or_404(import_id)
        if not imp.rejected_name:
            raise Problem(404, "This import rejected no records (or they are no longer kept).")
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", imp.filename.rsplit(".", 1)[0])[:100] or "import"
        lines = imports.rejected_records(imp)
        if imp.format == "csv":
            # The problems in the request's language, like every answer (Accept-Language, else the library's).
            language = request_language()
            header = [*(imp.columns or []), "import_problems"]

            def problems(line):
                said = said_all(i18n.translate(problem, language) for problem in line["problems"])
                return said if line.get("raw") else i18n.translate(N_(f"line {line.get('line')}: {said}"), language)
            rows = ([*line["raw"]["cells"], problems(line)] if line.get("raw") else
                    [*[""] * len(imp.columns or []), problems(line)] for line in lines)
            return csv_response(f"{stem}-rejected.csv", header, rows)
        if imp.format == "marc":
            def marc_bytes():
                for line in lines:
                    try:
                        yield base64.b64decode((line.get("raw") or {}).get("marc", ""), validate=True)
                    except binascii.Error:
                        continue
            return _download(marc_bytes(), "application/marc", f"{stem}-rejected.mrc")

        def xml_text():
            yield '<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
            for line in lines:
                if (line.get("raw") or {}).get("xml"):
                    yield line["raw"]["xml"] + "\n"
            yield "</collection>\n"
        return _download((part.encode() for part in xml_text()), "application/marcxml+xml", f"{stem}-rejected.xml")


def _download(chunks, mimetype, filename):
    return Response(stream_with_context(chunks), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
