"""Configuration: the only module that reads os.environ."""

import os
import re
from pathlib import Path

BACKEND_DIR = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = {"", "change-me", "dev", "development-only-secret"}
SMTP_SECURITY = {"none": 25, "starttls": 587, "tls": 465}  # the mail server's security and its usual port


def _int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _bool(name, default):
    value = os.environ.get(name, "").strip().lower()
    return value in ("1", "true", "yes", "on") if value else default


def _float(name, default):
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


class Config:
    """Settings read from the environment once, when the app is created."""

    def __init__(self):
        self.LIBRARY_ENV = os.environ.get("LIBRARY_ENV", "development")
        data_dir = Path(os.environ.get("LIBRARY_DATA_DIR") or BACKEND_DIR / "data")
        self.LIBRARY_DATA_DIR = str(data_dir)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'library.db'}"
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret")
        self.LIBRARY_FRONTEND_DIR = os.environ.get("LIBRARY_FRONTEND_DIR") or None
        self.LIBRARY_PROXY_HOPS = _int("LIBRARY_PROXY_HOPS", 0)
        # The address clients use (scheme, host, optional port): every absolute URL the API writes (Link
        # headers, the calendar feed) is built from it, never from the request's Host header.
        self.LIBRARY_PUBLIC_URL = os.environ.get("LIBRARY_PUBLIC_URL", "").strip() or "http://localhost"
        self.LIBRARY_LOG_LEVEL = os.environ.get("LIBRARY_LOG_LEVEL", "INFO").upper()
        # text | json (one JSON object per line, for a log collector); gunicorn.conf.py reads it too.
        self.LIBRARY_LOG_FORMAT = os.environ.get("LIBRARY_LOG_FORMAT", "text").strip().lower() or "text"
        # Argon2id (time cost, memory KiB, parallelism); empty: argon2-cffi's defaults (3, 65536, 4).
        # Tests use OWASP's minimum (2, 19456, 1) to stay fast.
        # The library's name and loan rules: the starting values of the settings an admin changes in the
        # app (services/settings.py); once saved there, the database's value wins.
        self.LIBRARY_NAME = os.environ.get("LIBRARY_NAME", "").strip() or "Library"
        self.LIBRARY_LOAN_DAYS = _int("LIBRARY_LOAN_DAYS", 21)
        self.LIBRARY_MAX_RENEWALS = _int("LIBRARY_MAX_RENEWALS", 2)
        self.LIBRARY_MAX_LOANS = _int("LIBRARY_MAX_LOANS", 5)
        self.LIBRARY_MAX_HOLDS = _int("LIBRARY_MAX_HOLDS", 5)
        self.LIBRARY_HOLD_PICKUP_DAYS = _int("LIBRARY_HOLD_PICKUP_DAYS", 7)
        self.LIBRARY_SELF_REGISTRATION = _bool("LIBRARY_SELF_REGISTRATION", False)
        self.LIBRARY_HOLD_AUTO_EXPIRE = _bool("LIBRARY_HOLD_AUTO_EXPIRE", False)
        # Automatic copy barcodes and card numbers: prefix + a zero-padded number from a counter.
        self.LIBRARY_COPY_BARCODE_PREFIX = os.environ.get("LIBRARY_COPY_BARCODE_PREFIX", "C").strip()
        self.LIBRARY_CARD_NUMBER_PREFIX = os.environ.get("LIBRARY_CARD_NUMBER_PREFIX", "M").strip()
        self.LIBRARY_BARCODE_DIGITS = _int("LIBRARY_BARCODE_DIGITS", 6)
        self.LIBRARY_ARGON2 = None  # resolved in check() once LIBRARY_ENV is final
        # Public catalog responses kept per worker process, served while the database is unchanged.
        self.LIBRARY_RESPONSE_CACHE = _int("LIBRARY_RESPONSE_CACHE", 512)
        # ISBN lookup (services/lookup.py): the metadata providers in the order they are asked, their base
        # URLs, the time one provider may take, and how long answers are kept. Unset, the providers are
        # "openlibrary" (none under LIBRARY_ENV=testing, so no test reaches the internet).
        self.LIBRARY_LOOKUP_PROVIDERS = os.environ.get("LIBRARY_LOOKUP_PROVIDERS")
        self.LIBRARY_OPENLIBRARY_URL = os.environ.get("LIBRARY_OPENLIBRARY_URL") or "https://openlibrary.org"
        self.LIBRARY_OPENLIBRARY_COVERS_URL = (os.environ.get("LIBRARY_OPENLIBRARY_COVERS_URL")
                                               or "https://covers.openlibrary.org")
        self.LIBRARY_GOOGLEBOOKS_URL = os.environ.get("LIBRARY_GOOGLEBOOKS_URL") or "https://www.googleapis.com"
        self.LIBRARY_LOOKUP_TIMEOUT = _float("LIBRARY_LOOKUP_TIMEOUT", 4.0)
        self.LIBRARY_LOOKUP_CACHE_SECONDS = _int("LIBRARY_LOOKUP_CACHE_SECONDS", 86400)
        # /api/metrics: a bearer token Prometheus sends to scrape through nginx; unset, only callers that reach
        # gunicorn directly (not through a proxy) may scrape.
        self.LIBRARY_METRICS_TOKEN = os.environ.get("LIBRARY_METRICS_TOKEN", "").strip() or None
        # Backups (flask --app library backup / backup-schedule): where, how often, how many are kept.
        self.LIBRARY_BACKUP_DIR = os.environ.get("LIBRARY_BACKUP_DIR") or str(data_dir / "backups")
        self.LIBRARY_BACKUP_EVERY_HOURS = float(os.environ.get("LIBRARY_BACKUP_EVERY_HOURS") or 24)
        self.LIBRARY_BACKUP_KEEP = _int("LIBRARY_BACKUP_KEEP", 7)
        # Set by gunicorn.conf.py: every worker's metrics are files there, added up by a scrape.
        self.LIBRARY_METRICS_MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # Notices by e-mail (services/notices.py, services/mailer.py). The mail server is environment only
        # (its password is a secret, not a setting kept in the database); no host: notices wait in the outbox.
        self.LIBRARY_SMTP_HOST = os.environ.get("LIBRARY_SMTP_HOST", "").strip()
        self.LIBRARY_SMTP_SECURITY = os.environ.get("LIBRARY_SMTP_SECURITY", "").strip().lower() or "starttls"
        self.LIBRARY_SMTP_PORT = _int("LIBRARY_SMTP_PORT", 0)  # 0: the security's usual port (25, 587, 465)
        self.LIBRARY_SMTP_USER = os.environ.get("LIBRARY_SMTP_USER", "")
        self.LIBRARY_SMTP_PASSWORD = os.environ.get("LIBRARY_SMTP_PASSWORD", "")
        self.LIBRARY_SMTP_TIMEOUT = _float("LIBRARY_SMTP_TIMEOUT", 20.0)
        self.LIBRARY_MAIL_FROM = os.environ.get("LIBRARY_MAIL_FROM", "").strip()
        # The starting values of the notice settings (services/settings.py).
        self.LIBRARY_NOTICE_DUE_SOON_DAYS = _int("LIBRARY_NOTICE_DUE_SOON_DAYS", 3)
        self.LIBRARY_NOTICE_OVERDUE_EVERY_DAYS = _int("LIBRARY_NOTICE_OVERDUE_EVERY_DAYS", 7)
        self.LIBRARY_NOTICE_OVERDUE_MAX = _int("LIBRARY_NOTICE_OVERDUE_MAX", 3)

    # Fixed settings (not environment-driven).
    MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB request bodies; nginx enforces the same limit
    SQLITE_BUSY_TIMEOUT_MS = 5000
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    JSON_SORT_KEYS = False
    API_TITLE = "Library API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "The Library catalog API.\n\n"
                "**Lists** answer `{\"items\", \"total\", \"page\", \"per_page\"}` (per_page at most 100) and an "
                "RFC 8288 `Link` header with first, prev, next and last.\n\n"
                "**Writes** take `application/json` (415 otherwise), at most 1 MiB (413); unknown fields are refused.\n\n"
                "**Errors** are RFC 9457 `application/problem+json`: type, title, status, detail, and for 422 an "
                "`errors` object of messages per field (nested fields joined with dots, e.g. `authors.0.name`). "
                "A duplicate ISBN is 409 naming the existing book."
            ),
        },
    }
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    # The docs page is our own (/api/docs) so that its assets are served locally.
    OPENAPI_SWAGGER_UI_PATH = None
    OPENAPI_REDOC_PATH = None
    OPENAPI_RAPIDOC_PATH = None

    def as_dict(self):
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


PUBLIC_URL = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def check(config):
    """Settle derived settings; refuse to run with a public URL that is not scheme://host[:port] or an unknown log
    format, and outside development and testing with a placeholder or short secret."""
    public_url = str(config.get("LIBRARY_PUBLIC_URL") or "").rstrip("/")
    if not PUBLIC_URL.fullmatch(public_url):
        raise RuntimeError(f"LIBRARY_PUBLIC_URL must be http(s)://host[:port], e.g. https://library.example.org "
                           f"(got {public_url!r}; see .env.example)")
    config["LIBRARY_PUBLIC_URL"] = public_url
    if config.get("LIBRARY_LOG_FORMAT") not in ("text", "json"):
        raise RuntimeError("LIBRARY_LOG_FORMAT must be text or json")
    if config.get("LIBRARY_ARGON2") is None:
        config["LIBRARY_ARGON2"] = (2, 19456, 1) if config.get("LIBRARY_ENV") == "testing" else ()
    if config.get("LIBRARY_LOOKUP_PROVIDERS") is None:
        config["LIBRARY_LOOKUP_PROVIDERS"] = "" if config.get("LIBRARY_ENV") == "testing" else "openlibrary"
    if config.get("LIBRARY_SMTP_SECURITY") not in SMTP_SECURITY:
        raise RuntimeError(f"LIBRARY_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
    if not config.get("LIBRARY_SMTP_PORT"):
        config["LIBRARY_SMTP_PORT"] = SMTP_SECURITY[config["LIBRARY_SMTP_SECURITY"]]
    if config.get("LIBRARY_SMTP_HOST") and "@" not in (config.get("LIBRARY_MAIL_FROM") or ""):
        raise RuntimeError("LIBRARY_MAIL_FROM (the address notices come from) is required with LIBRARY_SMTP_HOST")
    secret = config.get("SECRET_KEY") or ""
    if config.get("LIBRARY_ENV") not in ("development", "testing") and (secret in PLACEHOLDER_SECRETS or len(secret) < 32):
        raise RuntimeError("SECRET_KEY must be a random value of at least 32 characters outside development "
                           "(see .env.example)")
