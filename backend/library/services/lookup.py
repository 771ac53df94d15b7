"""ISBN lookup: a prefilled book from metadata providers (Open Library, Google Books), never a hang.

The providers (LIBRARY_LOOKUP_PROVIDERS, in order) are asked one after the other until one knows the ISBN.
Each call has a deadline (LIBRARY_LOOKUP_TIMEOUT seconds for the whole answer, not per read) and a size
limit. A provider that fails (no connection, a timeout, a 5xx or 429, an answer that is not what its API
documents) is backed off for 30 s, doubling up to 10 min while it keeps failing, and the next one is asked.
Answers are cached per process (found: LIBRARY_LOOKUP_CACHE_SECONDS; not found: an hour).

The outcome: a book in BookIn's shape (every field already valid for POST /books), the provider's cover
stored like an upload (services/covers.py; from Open Library's Covers API, whichever provider found the
book), or NotFound when every provider answered and none knows the ISBN, or Unavailable when some could not
be asked and none found it.
"""

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace

import pycountry
import requests
from cachetools import TLRUCache

from ..models.catalog import DESCRIPTION_MAX, NAME_MAX, PUBLISHER_MAX, SUBJECT_MAX, TITLE_MAX, YEAR_MAX, YEAR_MIN
from . import covers
from . import isbn as isbn_service

log = logging.getLogger("library.lookup")

MAX_ANSWER_BYTES = 1024 * 1024  # a provider's JSON answer
BACKOFF_FIRST, BACKOFF_MAX = 30.0, 600.0
NOT_FOUND_SECONDS = 3600
CACHE_ENTRIES = 2048
AUTHORS_MAX, SUBJECTS_MAX = 50, 30
USER_AGENT = "Library catalog (self-hosted; ISBN lookup)"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_TAG = re.compile(r"<[^>]{0,200}>")


class ProviderFailed(Exception):
    """The provider could not be asked or gave an answer its API does not give: back off, ask the next."""


class NotFound(Exception):
    """Every provider answered, and none knows the ISBN."""


class Unavailable(Exception):
    """No provider found the ISBN and at least one could not be asked; retry_after: seconds to wait."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Result:
    isbn: str
    provider: str
    book: dict  # BookIn fields
    source_url: str | None = None
    cover_path: str | None = None  # on the Covers API, e.g. /b/id/240727-L.jpg


@dataclass
class _Backoff:
    failures: int = 0
    until: float = 0.0


# --- reading the providers' answers ------------------------------------------------------------------

def _text(value, limit: int, multiline: bool = False) -> str | None:
    """A provider's string as BookIn takes it: control characters dropped, whitespace tidied, cut to limit."""
    if not isinstance(value, str):
        return None
    value = _CONTROL.sub("", value)
    if multiline:
        value = re.sub(r"[ \t]+", " ", value.replace("\r\n", "\n")).strip()
        value = re.sub(r"\n{3,}", "\n\n", value)
    else:
        value = re.sub(r"\s+", " ", value).strip()
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value or None


def _year(value) -> int | None:
    """The year of "October 1, 1988", "1988-10-01" or "c1988"."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    years = [int(y) for y in _YEAR.findall(value) if YEAR_MIN <= int(y) <= YEAR_MAX]
    return years[0] if years else None


def _language(value) -> str | None:
    """An ISO 639-1 code from "en", "en-GB", "eng" or "/languages/eng"."""
    if not isinstance(value, str):
        return None
    code = value.rsplit("/", 1)[-1].split("-", 1)[0].strip().lower()
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    else:
        found = None
    return getattr(found, "alpha_2", None)


def _names(values, limit, key=None) -> list[str]:
    """Unique non-empty strings (or dicts' `key`), in order, each cut to limit."""
    if not isinstance(values, list):
        return []
    seen, names = set(), []
    for value in values:
        if key is not None:
            value = value.get(key) if isinstance(value, dict) else None
        text = _text(value, limit)
        if text and text.lower() not in seen:
            seen.add(text.lower())
            names.append(text)
    return names


def _book(isbn: str, title, **fields) -> dict:
    """A BookIn dict from a provider's values; a record without a usable title is malformed."""
    title = _text(title, TITLE_MAX)
    if not title:
        raise ProviderFailed("a record without a title")
    book = {"title": title, "isbn": isbn}
    authors = fields.pop("authors", [])[:AUTHORS_MAX]
    subjects = fields.pop("subjects", [])[:SUBJECTS_MAX]
    if authors:
        book["authors"] = [{"name": name} for name in authors]
    if subjects:
        book["subjects"] = subjects
    book.update({key: value for key, value in fields.items() if value is not None})
    return book


class OpenLibrary:
    """Open Library's Books API (jscmd=data: the edition with its work's authors and subjects)."""

    name, label = "openlibrary", "Open Library"

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")

    def url(self, isbn):
        return f"{self.base_url}/api/books?bibkeys=ISBN:{isbn}&format=json&jscmd=data"

    def parse(self, isbn, data) -> Result | None:
        if not isinstance(data, dict):
            raise ProviderFailed("the answer is not a JSON object")
        record = data.get(f"ISBN:{isbn}")
        if record is None:
            return None  # {}: Open Library does not know the ISBN
        if not isinstance(record, dict):
            raise ProviderFailed("the record is not a JSON object")
        book = _book(
            isbn, record.get("title"),
            subtitle=_text(record.get("subtitle"), TITLE_MAX),
            authors=_names(record.get("authors"), NAME_MAX, "name"),
            publisher=(_names(record.get("publishers"), PUBLISHER_MAX, "name") or [None])[0],
            published_year=_year(record.get("publish_date")),
            subjects=_names(record.get("subjects"), SUBJECT_MAX, "name"),
        )
        cover = record.get("cover")
        large = cover.get("large") if isinstance(cover, dict) else None
        found = re.search(r"/b/id/(\d{1,12})-L\.jpg$", large) if isinstance(large, str) else None
        cover_path = f"/b/id/{found.group(1)}-L.jpg" if found else None
        url = record.get("url")
        return Result(isbn, self.name, book, url if isinstance(url, str) and url.startswith("http") else None,
                      cover_path)


class GoogleBooks:
    """Google Books' volumes search by ISBN (no API key; covers still come from Open Library)."""

    name, label = "googlebooks", "Google Books"

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")

    def url(self, isbn):
        return f"{self.base_url}/books/v1/volumes?q=isbn:{isbn}"

    def parse(self, isbn, data) -> Result | None:
        if not isinstance(data, dict) or not isinstance(data.get("totalItems"), int):
            raise ProviderFailed("the answer is not a volumes list")
        items = data.get("items") or []
        if not isinstance(items, list):
            raise ProviderFailed("items is not a list")
        volumes = [item["volumeInfo"] for item in items
                   if isinstance(item, dict) and isinstance(item.get("volumeInfo"), dict)]
        if data["totalItems"] == 0 or not volumes:
            return None
        wanted = {isbn, isbn_service.to_isbn10(isbn)}

        def identifies(volume):
            ids = volume.get("industryIdentifiers")
            return isinstance(ids, list) and any(isinstance(i, dict) and i.get("identifier") in wanted for i in ids)

        volume = next((v for v in volumes if identifies(v)), volumes[0])
        description = volume.get("description")
        book = _book(
            isbn, volume.get("title"),
            subtitle=_text(volume.get("subtitle"), TITLE_MAX),
            authors=_names(volume.get("authors"), NAME_MAX),
            publisher=_text(volume.get("publisher"), PUBLISHER_MAX),
            published_year=_year(volume.get("publishedDate")),
            language=_language(volume.get("language")),
            subjects=_names(volume.get("categories"), SUBJECT_MAX),
            description=_text(_TAG.sub(" ", description) if isinstance(description, str) else None,
                              DESCRIPTION_MAX, multiline=True),
        )
        link = volume.get("infoLink")
        return Result(isbn, self.name, book, link if isinstance(link, str) and link.startswith("http") else None)


PROVIDERS = {OpenLibrary.name: OpenLibrary, GoogleBooks.name: GoogleBooks}


def provider_names(setting: str) -> list[str]:
    """The provider names of LIBRARY_LOOKUP_PROVIDERS ("openlibrary,googlebooks"); unknown names refused."""
    names = [name.strip().lower() for name in (setting or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in PROVIDERS]
    if unknown:
        raise ValueError(f"LIBRARY_LOOKUP_PROVIDERS: unknown provider {unknown[0]!r}; known: {', '.join(PROVIDERS)}")
    return names


# --- the lookup ---------------------------------------------------------------------------------------

@dataclass
class Lookup:
    """The providers of one app, with their HTTP session, back-off state and answer cache."""

    providers: list
    covers_url: str | None
    timeout: float
    cache_seconds: int
    session: requests.Session = field(default_factory=requests.Session)
    clock: object = time.monotonic

    def __post_init__(self):
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.max_redirects = 3
        self.cache = TLRUCache(CACHE_ENTRIES, ttu=lambda _key, value, now: now + value[1], timer=self.clock)
        self.backoff = {}
        self.lock = threading.Lock()

    @classmethod
    def from_config(cls, config):
        names = provider_names(config["LIBRARY_LOOKUP_PROVIDERS"])
        urls = {"openlibrary": config["LIBRARY_OPENLIBRARY_URL"], "googlebooks": config["LIBRARY_GOOGLEBOOKS_URL"]}
        return cls([PROVIDERS[name](urls[name]) for name in names], config["LIBRARY_OPENLIBRARY_COVERS_URL"],
                   float(config["LIBRARY_LOOKUP_TIMEOUT"]), int(config["LIBRARY_LOOKUP_CACHE_SECONDS"]))

    def find(self, isbn: str, store: covers.CoverStore) -> Result:
        """The book with this ISBN-13 from the first provider that knows it (cached); raises NotFound or
        Unavailable."""
        with self.lock:
            cached = self.cache.get(isbn)
        if cached is not None:
            result = cached[0]
            if result is None:
                raise NotFound(isbn)
            if not result.book.get("cover_id") or store.exists(result.book["cover_id"]):
                return result
        failed, retry_after = [], []
        for provider in self.providers:
            wait = self._backed_off(provider.name)
            if wait:
                failed.append(f"{provider.label} (resting after failures)")
                retry_after.append(wait)
                continue
            try:
                result = provider.parse(isbn, self._get_json(provider.url(isbn)))
            except ProviderFailed as error:
                log.warning("lookup: %s failed for %s: %s", provider.name, isbn, error)
                retry_after.append(self._failed(provider.name))
                failed.append(provider.label)
                continue
            self._succeeded(provider.name)
            if result is not None:
                result = self._with_cover(result, store)
                self._remember(isbn, result, self.cache_seconds)
                return result
        if failed:
            raise Unavailable(f"Could not ask {', '.join(failed)}; try again shortly.",
                              max(1, round(min(retry_after))) if retry_after else 30)
        self._remember(isbn, None, NOT_FOUND_SECONDS)
        raise NotFound(isbn)

    def _remember(self, isbn, result, seconds):
        if seconds > 0:
            with self.lock:
                self.cache[isbn] = (result, seconds)

    def _with_cover(self, result: Result, store: covers.CoverStore) -> Result:
        """The result with its cover stored (book["cover_id"]); without one when there is none or it fails."""
        if not self.covers_url:
            return result
        path = result.cover_path or f"/b/isbn/{result.isbn}-L.jpg"
        name = "covers"
        if self._backed_off(name):
            return result
        try:
            data = self._get(f"{self.covers_url.rstrip('/')}{path}?default=false", covers.MAX_BYTES, not_found_ok=True)
        except ProviderFailed as error:
            log.warning("lookup: the cover of %s failed: %s", result.isbn, error)
            self._failed(name)
            return result
        self._succeeded(name)
        if data is None:
            return result
        try:
            cover = store.save(data)
        except covers.InvalidImage as error:
            log.warning("lookup: the cover of %s is not usable: %s", result.isbn, error)
            return result
        return replace(result, book={**result.book, "cover_id": cover.id})

    # --- HTTP with a deadline ---------------------------------------------------------------------------

    def _get_json(self, url):
        body = self._get(url, MAX_ANSWER_BYTES)
        try:
            return json.loads(body)
        except ValueError:  # also UnicodeDecodeError
            raise ProviderFailed("the answer is not JSON") from None

    def _get(self, url, limit, not_found_ok=False) -> bytes | None:
        """The body of a 200 answer within the deadline and limit; None for a 404 when not_found_ok."""
        deadline = self.clock() + self.timeout
        try:
            with self.session.get(url, timeout=(self.timeout, self.timeout), stream=True,
                                  headers={"Accept-Encoding": "gzip"}) as response:
                if response.status_code == 404 and not_found_ok:
                    return None
                if response.status_code != 200:
                    raise ProviderFailed(f"HTTP {response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise ProviderFailed("the answer is too large")
                chunks, size = [], 0
                while True:
                    chunk = response.raw.read1(65536, decode_content=True)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise ProviderFailed("the answer is too large")
                    if self.clock() > deadline:
                        raise ProviderFailed(f"no whole answer within {self.timeout:g} s")
                    chunks.append(chunk)
                return b"".join(chunks)
        except requests.Timeout:
            raise ProviderFailed(f"no answer within {self.timeout:g} s") from None
        except (requests.RequestException, OSError) as error:  # also urllib3's protocol and decoding errors
            raise ProviderFailed(f"{type(error).__name__}") from None
        except Exception as error:  # noqa: BLE001 - urllib3's own errors (ProtocolError, DecodeError ...)
            if type(error).__module__.startswith("urllib3"):
                raise ProviderFailed(type(error).__name__) from None
            raise

    # --- back-off -------------------------------------------------------------------------------------

    def _backed_off(self, name) -> float:
        """Seconds until the provider may be asked again (0: now)."""
        with self.lock:
            state = self.backoff.get(name)
            return max(0.0, state.until - self.clock()) if state else 0.0

    def _failed(self, name) -> float:
        with self.lock:
            state = self.backoff.setdefault(name, _Backoff())
            state.failures += 1
            wait = min(BACKOFF_FIRST * 2 ** (state.failures - 1), BACKOFF_MAX)
            state.until = self.clock() + wait
            return wait

    def _succeeded(self, name) -> None:
        with self.lock:
            self.backoff.pop(name, None)


def current_lookup() -> Lookup:
    """The app's Lookup, made on first use from its config."""
    from flask import current_app

    lookup = current_app.extensions.get("isbn_lookup")
    if lookup is None:
        lookup = current_app.extensions.setdefault("isbn_lookup", Lookup.from_config(current_app.config))
    return lookup
