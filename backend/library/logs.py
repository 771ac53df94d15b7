"""Logs: every line of a request carries its request id; plain text or JSON lines (LIBRARY_LOG_FORMAT=json).

The request id is nginx's $request_id (or the client's X-Request-ID when it looks like an id), passed on in
X-Request-ID; without nginx in front, the app makes one. It is answered in the X-Request-ID header and in
problem+json bodies (errors.py), so a user's error report leads to its log lines.
"""

import contextvars
import logging
import random
import re
import sys

from gunicorn import glogging
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# What a client may choose (nginx's own are 32 hex digits): letters, digits and . _ : -, 8 to 128 of them.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
TEXT_FORMAT = "[%(asctime)s] %(levelname)s %(name)s: %(message)s request_id=%(request_id)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id", "process")
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}

_request_id = contextvars.ContextVar("library_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled in this thread, or None outside a request."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "-") on every record, for both formats."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True


class _Stderr:
    """Whatever sys.stderr is when a line is written (as Flask's own handler does), not when the app was made."""

    def write(self, text):
        return sys.stderr.write(text)

    def flush(self):
        sys.stderr.flush()


STDERR = _Stderr()


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(list(JSON_FIELDS), rename_fields=JSON_NAMES)
    return logging.Formatter(TEXT_FORMAT)


def configure(level: str, fmt: str) -> None:
    """The "library" logger (app, audit, auth events): one stderr handler in the chosen format, at level.
    Set up before Flask touches app.logger, so Flask adds no handler of its own. Idempotent: an app made
    again (tests, the CLI) replaces the handler rather than adding a second one."""
    logger = logging.getLogger("library")
    logger.setLevel(level)
    for old in [h for h in logger.handlers if getattr(h, "_library", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(STDERR)
    handler._library = True
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)


class RequestIdMiddleware:
    """The outermost WSGI layer: takes the request id from X-Request-ID (nginx sets it) when valid, else
    makes one; puts it in the environ, the logging context and the response's X-Request-ID header."""

    ENVIRON_KEY = "library.request_id"

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        # Made: 128 random bits in hex, as uuid4().hex was, from random's generator (reseeded in every forked
        # worker), not from the system's: an id names a request in the logs and is no secret.
        request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else f"{random.getrandbits(128):032x}"
        environ[self.ENVIRON_KEY] = request_id
        token = _request_id.set(request_id)

        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.wsgi_app(environ, start)
        except BaseException:
            _request_id.reset(token)
            raise
        return _Closing(body, token)


class _Closing:
    """The response body, which forgets the request id when the server closes it (what werkzeug's
    ClosingIterator would do, without the typing work its constructor does on every request)."""

    __slots__ = ("body", "token")

    def __init__(self, body, token):
        self.body, self.token = body, token

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            _request_id.reset(self.token)


class JsonGunicornLogger(glogging.Logger):
    """gunicorn's logger with JSON lines (LIBRARY_LOG_FORMAT=json, set in gunicorn.conf.py): its own error log
    lines, and one object per request in the access log (no bodies, no query strings' secrets: the same
    atoms as the text line)."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter("json"))
                handler.addFilter(RequestIdFilter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info("request", extra={
            "request_id": atoms.get("{x-request-id}o", "-"), "remote_addr": atoms["h"], "method": atoms["m"],
            "path": atoms["U"], "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"], "duration_ms": atoms["M"], "user_agent": atoms["a"],
        })
