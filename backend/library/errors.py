"""The one error envelope: RFC 9457 problem details (application/problem+json) for every 4xx and 5xx."""

import http
import logging

import marshmallow as ma
from flask import current_app, has_request_context, json, request
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from . import i18n
from .logs import current_request_id

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("library")


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, documented for every error response."""

    class Meta:
        unknown = ma.RAISE

    type = ma.fields.String(metadata={"description": "A URI reference identifying the problem type"})
    title = ma.fields.String(metadata={"description": "Short summary of the problem type"})
    status = ma.fields.Integer(metadata={"description": "The HTTP status code"})
    detail = ma.fields.String(metadata={"description": "Explanation of this occurrence"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Messages per field; nested fields are joined with dots (authors.0.name)"},
    )
    request_id = ma.fields.String(metadata={"description": "The request's id (also in the X-Request-ID header "
                                                           "and the server's log lines): quote it in a report"})


class Problem(HTTPException):
    """An HTTP error that carries a detail and optional field errors, raised from views and services."""

    def __init__(self, status, detail=None, errors=None, headers=None):
        super().__init__(description=detail)
        self.code = status
        self.detail = detail
        self.errors = errors
        self.extra_headers = headers or {}


class Conflict(Problem):
    def __init__(self, detail, errors=None):
        super().__init__(409, detail, errors)


def flatten_errors(messages, prefix=""):
    """Turn marshmallow's nested messages into {"field.sub": ["message", ...]}."""
    flat = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
    elif isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            for key, value in flatten_errors(item, prefix).items():
                flat.setdefault(key, []).extend(value)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def _webargs_errors(messages):
    """webargs groups messages by location ({"json": {...}, "query": {...}}); drop that level."""
    merged = {}
    for location, msgs in (messages or {}).items():
        if isinstance(msgs, dict):
            for key, value in flatten_errors(msgs).items():
                merged.setdefault(key, []).extend(value)
        else:  # e.g. {"json": ["Invalid JSON body."]}
            merged.setdefault("_" + location, []).extend(msgs if isinstance(msgs, list) else [str(msgs)])
    return merged


def _default_language(status):
    """The library's default language (a setting), without a database read when the database is the problem."""
    fallback = current_app.config.get("LIBRARY_DEFAULT_LANGUAGE", i18n.FALLBACK)
    if status == 503:
        return fallback
    from .services import settings

    try:
        return settings.get("default_language")
    except Exception:  # noqa: BLE001 - an error answer never fails for want of its language
        rollback()
        return fallback


def request_language(status=None):
    """The language of this request's answer: Accept-Language's best of en, fr, es (English when it names none
    of them); the library's default language when the request has no Accept-Language."""
    header = request.headers.get("Accept-Language") if has_request_context() else None
    if not header:
        return _default_language(status) if has_request_context() else i18n.FALLBACK
    return i18n.negotiate(header)


def translated(text: str) -> str:
    """A message of a successful answer (e.g. a 202's detail) in the request's language."""
    return i18n.translate(text, request_language())


def problem_response(status, detail=None, errors=None, headers=None, **extra):
    """Build a problem+json response; the single place error bodies are made, in the request's language
    (Content-Language says which; Vary: Accept-Language, as the body depends on it)."""
    language = request_language(status)
    try:
        title = http.HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {"type": "about:blank", "title": i18n.translate(title, language), "status": status}
    if detail:
        body["detail"] = i18n.translate(detail, language)
    if errors:
        body["errors"] = i18n.translate_errors(errors, language)
    if request_id := current_request_id():
        body["request_id"] = request_id
    body.update(extra)
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


def rollback():
    """Roll back the request's session for an error response. On a connection that died (a PostgreSQL restart)
    the rollback itself fails: the session is then closed, which gives the connection back to be discarded, so
    the error still gets its problem+json answer instead of an empty 500."""
    from .extensions import db

    try:
        db.session.rollback()
    except DBAPIError:
        log.warning("rollback failed on a lost database connection; discarding it")
        try:
            db.session.close()
        except DBAPIError:
            pass


def _driver_unavailable(error) -> bool:
    """The driver's own OperationalError or InterfaceError, raised on a raw DB-API cursor outside SQLAlchemy
    (catalog.book_dicts, which documents.refresh runs before a commit, and the other plain-row readers): the
    database went away under the request, as SQLAlchemy's OperationalError says, so it is a 503 too."""
    from .extensions import db

    dbapi = db.engine.dialect.loaded_dbapi
    return isinstance(error, (dbapi.OperationalError, dbapi.InterfaceError))


def database_unavailable():
    return problem_response(503, "The database is unavailable; try again shortly.", headers={"Retry-After": "5"})


class LibraryApi(Api):
    """flask-smorest Api whose errors are problem+json, in responses and in the spec alike."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        rollback()  # an error response never leaves half-made changes pending
        headers = {}
        errors = None
        detail = error.description
        if isinstance(error, Problem):
            detail, errors, headers = error.detail, error.errors, error.extra_headers
        data = getattr(error, "data", None) or {}
        if "messages" in data:  # webargs validation / invalid JSON
            errors = _webargs_errors(data["messages"])
            if error.code == 400:
                detail = "The request body is not valid JSON."
                errors = None
            else:
                detail = "The request has invalid fields; see errors."
        if error.code == 405:
            allow = dict(error.get_headers()).get("Allow")
            if allow:
                headers["Allow"] = allow
        if isinstance(error, InternalServerError):
            detail = "An unexpected error occurred."
        return problem_response(error.code, detail, errors, headers)

    def _register_responses(self):
        """Document every error response as application/problem+json with ProblemSchema."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            content_type = "application/json"
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_JSON
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def register_error_handlers(app):
    """Errors that are not HTTPExceptions: database conflicts and anything unexpected."""

    @app.errorhandler(IntegrityError)
    def integrity_error(error):
        rollback()
        log.info("integrity error: %s", error.orig)
        return problem_response(409, "The request conflicts with existing data.")

    @app.errorhandler(StaleDataError)
    def stale_data(error):
        # An UPDATE or DELETE of a row that a concurrent request deleted (or changed) between our read and our
        # write, where no lock orders the two (PostgreSQL; SQLite's writers queue). A conflict, not a fault.
        rollback()
        log.info("stale data: %s", error)
        return problem_response(409, "The record was changed or deleted by another request meanwhile; "
                                     "reload it and try again.")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)  # psycopg: "the connection is closed"
    def operational_error(error):
        rollback()
        log.exception("database error")
        return database_unavailable()

    @app.errorhandler(Exception)
    def unexpected_error(error):
        # HTTPExceptions never get here: Flask picks the Api's more specific handler.
        rollback()
        if isinstance(error, DBAPIError) and error.connection_invalidated:  # the connection died mid-request
            log.warning("database connection lost: %s", type(error.orig).__name__)
            return database_unavailable()
        if _driver_unavailable(error):
            log.warning("database error outside SQLAlchemy: %s: %s", type(error).__name__, error)
            return database_unavailable()
        log.exception("unhandled error")
        return problem_response(500, "An unexpected error occurred.")

