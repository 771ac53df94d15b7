"""The OpenAPI document is the contract: every route is in it, and the API honours it under fuzzing."""

import re
import tempfile
from pathlib import Path

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, settings

from library import create_app

from .conftest import migrate
from .factories import book_payload

# Routes that serve the documentation itself rather than the API.
UNDOCUMENTED = {"api-docs.openapi_json", "docs_asset"}


def _spec_path(rule):
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_in_the_spec_and_every_spec_path_is_a_route(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    routed = {
        (_spec_path(rule.rule), method)
        for rule in app.url_map.iter_rules() if rule.endpoint not in UNDOCUMENTED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented


def test_every_operation_documents_its_errors(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "patch", "delete"):
                continue
            codes = set(operation["responses"])
            if "{" in path:
                assert "404" in codes or "default" in codes, (path, method)
            if method in ("post", "patch"):
                assert {"415", "422"} <= codes or "default" in codes, (path, method)


def _fuzz_app():
    """One app on a migrated SQLite file with a few books, for the fuzzer's many calls (built at collection)."""
    path = Path(tempfile.mkdtemp(prefix="library-fuzz-")) / "library.db"
    url = f"sqlite:///{path}"
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LIBRARY_ENV": "testing"})
    client = app.test_client()
    for n in range(3):
        assert client.post("/api/v1/books", json=book_payload(authors=[{"name": f"Fuzz Author{n}"}])).status_code == 201
    return app


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _fuzz_app())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case):
    """No 5xx, only documented status codes, bodies and headers matching the spec; invalid input refused.

    positive_data_acceptance is off: some rules cannot be said in JSON Schema (an ISBN's check digit, a
    URL's host), so a schema-valid value may rightly get a 422; every other check runs.
    """
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
