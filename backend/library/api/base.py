"""The Blueprint every API module uses: a JSON body is required where a view takes one."""

from functools import wraps

from flask import current_app, request
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from ..cache import cache_key, response_cache
from ..errors import Problem


def json_response(body, headers=None):
    """A 200 JSON response of a body already in its documented shape, as flask-smorest would send it
    (Flask's JSON provider), for views that build their body without the response schema's dump."""
    response = current_app.json.response(body)
    response.headers.update(headers or {})
    return response


def streamed_upload(max_bytes: int):
    """Mark a view that takes a file as its raw body (any content type, up to max_bytes, read as a stream) rather
    than JSON of at most 1 MiB: the request guards look for this mark (upload_limit)."""

    def decorate(func):
        func._upload_limit = max_bytes
        return func

    return decorate


def upload_limit(req) -> int | None:
    """The body limit of the view this request goes to, when it is a streamed upload (else None)."""
    view = current_app.view_functions.get(req.endpoint) if req.url_rule is not None else None
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, req.method.lower(), None) if view_class is not None else view
    return getattr(handler, "_upload_limit", None)


class _Parser(FlaskParser):
    def load_json(self, req, schema):
        if not req.get_data(cache=True):
            raise Problem(422, "A JSON object is required as the request body.", {"_body": ["Missing request body."]})
        return super().load_json(req, schema)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = _Parser()


IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "An ETag from an earlier response: 304 without a body when nothing changed"}
ETAG_HEADER = {"ETag": {"description": "Tag of this representation, for If-None-Match", "schema": {"type": "string"}}}


def conditional(blp):
    """ETag from the response body and 304 Not Modified on a matching If-None-Match, and the response
    cache (library/cache.py) for public GETs. Placed above @blp.arguments and @blp.response, so a hit
    skips argument parsing as well as the queries and serialisation."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            cache = response_cache()
            version = cache.version(environ=request.environ) if cache is not None else None
            key = cache_key(request.environ) if version is not None else None
            entry = cache.get(key, version) if version is not None else None
            if entry is not None:
                response = current_app.response_class(entry.body, status=200, headers=entry.headers)
            else:
                response = view(*args, **kwargs)
                if response.status_code != 200:
                    return response
                response.add_etag()
                if version is not None:
                    cache.put(key, version, response)
            return response.make_conditional(request)

        return blp.doc(parameters=[IF_NONE_MATCH])(
            blp.alt_response(304, description="Not modified since the ETag in If-None-Match")(wrapper))

    return decorator
