"""Library: a self-hosted library catalog. create_app() is the only place an app is made."""

from pathlib import Path

from flask import Flask, request
from flask.sessions import SessionInterface

from . import api as api_package
from .api.base import takes_body
from .api import idempotency
from .authz import SECURE_SESSION_COOKIE, SESSION_COOKIE, authorize_request, clear_stale_cookie
from .config import Config, check
from .database import configure_sqlite
from . import cache, logs, metrics
from .errors import Problem, register_error_handlers
from .extensions import api, db, ma, migrate
from .jsonprovider import OrjsonProvider
from .openapi import LibraryPlugin
from .proxy import ProxyFix
from .services import passwords
from .services.revisions import MIGRATIONS_DIR


def create_app(config=None):
    """Build the app: config, extensions, blueprints, error handlers, CLI, WSGI middleware, in that order."""
    app = Flask(__name__, static_folder=None)
    app.json = OrjsonProvider(app)
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
    """WSGI middleware, innermost first: the response cache's early answer, then ProxyFix (so the cache keys on
    the client's scheme and host), the metrics (cached answers counted too), then the request id (outermost, so
    every answer and every log line has one)."""
    cache.install_middleware(app, (SESSION_COOKIE, SECURE_SESSION_COOKIE))
    if app.config["LIBRARY_PROXY_HOPS"]:
        hops = app.config["LIBRARY_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.wsgi_app = metrics.MetricsMiddleware(app.wsgi_app)
    app.wsgi_app = logs.RequestIdMiddleware(app.wsgi_app)


def register_logging(app):
    """The "library" logger (app, audit, auth events): stderr (gunicorn's error log), text or JSON lines, each
    with its request id (logs.py)."""
    logs.configure(app.config["LIBRARY_LOG_LEVEL"], app.config["LIBRARY_LOG_FORMAT"])


def register_extensions(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.config["LIBRARY_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        configure_sqlite(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    db.init_app(app)
    ma.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    api.init_app(app, spec_kwargs={"extra_plugins": [LibraryPlugin(app)]})
    cache.init_app(app)
    with app.app_context():
        metrics.watch_engine(db.engine)


def register_blueprints(app):
    api_package.register(app, api)
    if app.config.get("LIBRARY_FRONTEND_DIR"):
        from .frontend import blp as frontend_blp

        app.register_blueprint(frontend_blp)


def register_request_guards(app):
    """Before every view: who is calling and may they (authz), JSON-only writes, then the Idempotency-Key of a
    POST (claimed, or answered from what was kept); after: the answer kept for that key, cookie upkeep."""
    # The route template, for the metrics (url_value_preprocessors run before every before_request).
    app.url_value_preprocessor(lambda _endpoint, _values: metrics.record_route(request.environ, request.url_rule))

    @app.before_request
    def require_utf8_query():
        """A query string is UTF-8 (percent-encoded or not): werkzeug cannot read other bytes into request.args,
        and every hook and view after this one reads it."""
        try:
            request.query_string.decode()
        except UnicodeDecodeError:
            raise Problem(400, "The query string is not valid UTF-8; percent-encode it as UTF-8.") from None

    app.before_request(authorize_request)

    @app.before_request
    def require_json_body():
        """Writes carry JSON: anything else is 415 (this also forces a CORS preflight cross-site). The two
        exceptions, the cover upload and the catalog import's file, declare their own body types and limit
        (api/base.accepts_body): the request gets that limit instead of MAX_CONTENT_LENGTH."""
        if request.url_rule is None:
            return  # no such route or method: routing's 404 or 405 says more than a 415
        body = takes_body(request.endpoint, request.method)
        if body is not None:
            request.max_content_length = body[1]
            return
        has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")
        if request.method in ("POST", "PUT", "PATCH") and has_body and not request.is_json:
            raise Problem(415, "Send the request body as application/json.")

    idempotency.register(app)  # last: a key is claimed only for a request that passed the checks above
    app.after_request(clear_stale_cookie)


def register_cli(app):
    from .cli import register

    register(app)
