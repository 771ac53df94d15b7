"""Library: a self-hosted library catalog. create_app() is the only place an app is made."""

import logging
from pathlib import Path

from flask import Flask, request
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api as api_package
from .api.base import upload_limit
from .authz import SECURE_SESSION_COOKIE, SESSION_COOKIE, authorize_request, clear_stale_cookie
from .config import Config, check
from .database import configure_sqlite
from . import cache
from .errors import Problem, register_error_handlers
from .extensions import api, db, ma, migrate
from .openapi import LibraryPlugin
from .services import passwords

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config=None):
    """Build the app: config, extensions, blueprints, error handlers, CLI, WSGI middleware, in that order."""
    app = Flask(__name__, static_folder=None)
    app.session_interface = NoFlaskSession()
    register_config(app, config)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_guards(app)
    register_error_handlers(app)
    register_cli(app)
    register_middleware(app)
    return app


class NoFlaskSession(SessionInterface):
    """Our sessions are database rows behind their own cookie (authz.py); Flask's signed-cookie session is
    never used, so it is not opened on every request either. Writing to flask.session fails loudly."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def register_config(app, config):
    app.config.from_mapping(Config().as_dict())
    app.config.from_mapping(config or {})
    check(app.config)
    passwords.warm_up(app.config["LIBRARY_ARGON2"])


def register_middleware(app):
    """WSGI middleware, innermost first: the response cache's early answer, then ProxyFix (outermost, so the
    cache keys on the client's scheme and host)."""
    cache.install_middleware(app, (SESSION_COOKIE, SECURE_SESSION_COOKIE))
    if app.config["LIBRARY_PROXY_HOPS"]:
        hops = app.config["LIBRARY_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_logging(app):
    """The "library" logger (app, audit, auth events) at the configured level. Touching app.logger gives it
    Flask's handler (wsgi.errors, i.e. gunicorn's error log) unless one is configured already."""
    logging.getLogger("library").setLevel(app.config["LIBRARY_LOG_LEVEL"])
    app.logger  # noqa: B018 - creates the logger with its handler


def register_extensions(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.config["LIBRARY_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        configure_sqlite(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    db.init_app(app)
    ma.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    api.init_app(app, spec_kwargs={"extra_plugins": [LibraryPlugin(app)]})
    cache.init_app(app)


def register_blueprints(app):
    api_package.register(app, api)
    if app.config.get("LIBRARY_FRONTEND_DIR"):
        from .frontend import blp as frontend_blp

        app.register_blueprint(frontend_blp)


def register_request_guards(app):
    """Before every view: who is calling and may they (authz), then JSON-only writes; after: cookie upkeep."""
    app.before_request(authorize_request)

    @app.before_request
    def require_json_body():
        """Writes carry JSON: anything else is 415 (this also forces a CORS preflight cross-site). The one
        exception is a view marked as a streamed upload (api/base.streamed_upload: the catalog import's file),
        which gets its own body limit instead of MAX_CONTENT_LENGTH."""
        limit = upload_limit(request)
        if limit is not None:
            request.max_content_length = limit
            return
        has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")
        if request.method in ("POST", "PUT", "PATCH") and has_body and not request.is_json:
            raise Problem(415, "Send the request body as application/json.")

    app.after_request(clear_stale_cookie)


def register_cli(app):
    from .cli import register

    register(app)
