"""The Blueprint every API module uses: a JSON body is required where a view takes one."""

import json
from functools import wraps
from urllib.parse import quote

from flask import current_app, request
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import fields as ma_fields
from webargs.flaskparser import FlaskParser

from .. import metrics
from ..cache import VERSION_KEY, cache_key, etag, response_cache
from ..errors import Problem


def public_url(path: str, config=None) -> str:
    """An absolute URL for a path of this app, on the configured public address (LIBRARY_PUBLIC_URL), so that
    no Host or X-Forwarded-Host header a client sends ever ends up in a link. config: the app's (default: the
    current app's)."""
    return (current_app.config if config is None else config)["LIBRARY_PUBLIC_URL"] \
        + quote(path, safe="/:@!$&'()*+,;=-._~%")


def request_url() -> str:
    """This request's URL without its query, on the public address."""
    return public_url(request.script_root + request.path)


def json_response(body, headers=None):
    """A 200 JSON response of a body already in its documented shape, as flask-smorest would send it
    (Flask's JSON provider), for views that build their body without the response schema's dump."""
    response = current_app.json.response(body)
    response.headers.update(headers or {})
    return response


def accepts_body(*content_types, max_bytes, streamed=False):
    """Declare a write whose body is not JSON (the cover upload, the catalog import's file): its content types and
    size limit. The JSON-only guard (library.register_request_guards) lets it through and gives the request this
    limit instead of MAX_CONTENT_LENGTH; the view checks the type. A streamed body (the import's file, up to
    hundreds of MiB) is read by the view as a stream, never whole: no other hook reads it, and the view claims an
    Idempotency-Key itself with the digest of what it stored (api/idempotency.claim_streamed)."""

    def decorate(func):
        func._body = (content_types, max_bytes)
        func._streamed = streamed
        return func

    return decorate


def _handler(endpoint, method):
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(getattr(view, "view_class", None), method.lower(), view)


def takes_body(endpoint, method):
    """(content types, max bytes) a view declared with accepts_body, or None."""
    return getattr(_handler(endpoint, method), "_body", None)


def streams_body(endpoint, method) -> bool:
    """Whether the view reads its body as a stream (accepts_body(..., streamed=True))."""
    return bool(getattr(_handler(endpoint, method), "_streamed", False))


def read_body(content_types, max_bytes) -> bytes:
    """The raw body of an accepts_body view: 415 for another type, 413 past the limit (never read whole)."""
    if request.mimetype not in content_types:
        raise Problem(415, f"Send the body as one of: {', '.join(content_types)}.")
    if request.content_length is not None and request.content_length > max_bytes:
        raise Problem(413, f"The body is larger than {max_bytes // (1024 * 1024)} MiB.")
    request.max_content_length = max_bytes
    data = request.get_data(cache=False)
    if not data:
        raise Problem(422, "The request body is empty.", {"_body": ["Missing request body."]})
    return data


class _Parser(FlaskParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared = {}

    def _get_schema(self, argmap, req):
        """A schema class marked SHARED_INSTANCE (BookQuery) is loaded with one instance, made on first use:
        making a schema per request costs more than loading the arguments (0.36 ms for BookQuery)."""
        if isinstance(argmap, type) and getattr(argmap, "SHARED_INSTANCE", False):
            if argmap not in self._shared:
                self._shared[argmap] = argmap()
            return self._shared[argmap]
        return super()._get_schema(argmap, req)

    def load_json(self, req, schema):
        if not req.get_data(cache=True):
            raise Problem(422, "A JSON object is required as the request body.", {"_body": ["Missing request body."]})
        return super().load_json(req, schema)

    def load_querystring(self, req, schema):
        """A parameter the spec types as one value (not an array) may be given once: page=1&page=2 is a 422,
        not a silent pick of the first."""
        repeated = {name: ["Give this parameter once."] for name, field in schema.fields.items()
                    if not isinstance(field, ma_fields.List) and len(req.args.getlist(field.data_key or name)) > 1}
        if repeated:
            raise Problem(422, "The request has invalid fields; see errors.", repeated)
        return super().load_querystring(req, schema)

    def _raw_load_json(self, req):
        """JSON the parser cannot take is a client error: nesting deeper than Python's recursion limit
        (RecursionError) and integers longer than its 4300-digit limit (ValueError) are 400s, not 500s."""
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise Problem(400, "The request body is not valid JSON: it nests too deeply.") from None
        except ValueError as error:
            if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
                raise  # webargs' own 400
            raise Problem(400, "The request body is not valid JSON: a number in it is too long.") from None


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = _Parser()


def data_version():
    """The database's version `conditional` read before the view ran (library/cache.py), or None."""
    return request.environ.get(VERSION_KEY)


ETAG_HEADER = {"ETag": {"description": "Tag of this representation, for If-None-Match", "schema": {"type": "string"}}}


def conditional(blp):
    """ETag from the response body (cache.etag) and 304 Not Modified on a matching If-None-Match, and the response
    cache (library/cache.py) for public GETs. Placed above @blp.arguments and @blp.response, so a hit
    skips argument parsing as well as the queries and serialisation."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            cache = response_cache()
            version = cache.version(environ=request.environ) if cache is not None else None
            key = cache_key(request.environ) if version is not None else None
            entry = cache.get(key, version) if version is not None else None
            if version is not None:
                request.environ[VERSION_KEY] = version  # for the view (data_version)
                metrics.cache_lookup(hit=entry is not None)
            if entry is not None:
                response = current_app.response_class(entry.body, status=200, headers=entry.headers)
            else:
                response = view(*args, **kwargs)
                if response.status_code != 200:
                    return response
                if "ETag" not in response.headers:
                    response.headers["ETag"] = etag(response.get_data())
                if version is not None:
                    cache.put(key, version, response, request.url_rule.rule)
            return response.make_conditional(request)

        # The If-None-Match parameter is added to the spec by openapi.LibraryPlugin (a 304 response implies it),
        # since a parameters list given here would replace the query parameters of @blp.arguments.
        return blp.alt_response(304, description="Not modified since the ETag in If-None-Match")(wrapper)

    return decorator
