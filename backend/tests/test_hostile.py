"""The hostile-input suite, through the real stack (nginx -> gunicorn -> PostgreSQL): deep nesting, huge
numbers, NUL in every text and URL field, oversized request lines and headers, Content-Length and
Transfer-Encoding conflicts, odd methods and forged hosts. Every answer is a 4xx application/problem+json
(with the security headers), never a 5xx, and the Host a client sends is never written into a URL."""

import socket
import uuid

import pytest
import requests

from tests.stack import client_from
from tests.test_hardening import string_fields
from tests.test_nginx import assert_security_headers

pytestmark = pytest.mark.nginx


def raw_request(stack, data: bytes, timeout=15):
    """Send bytes as they are on a new connection to nginx; return (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines and lines[0].startswith("HTTP/1."), f"no HTTP response to {data[:80]!r}: {raw[:200]!r}"
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return status, headers, body


def _dechunk(body):
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, body = out + rest[:size], rest[size + 2:]
    return out


def assert_raw_problem(answer, status):
    got, headers, body = answer
    assert got == status, (got, headers, body[:300])
    assert headers.get("content-type") == "application/problem+json", (status, headers, body[:300])
    import json

    problem = json.loads(body)
    assert problem["status"] == status and problem["title"] and problem["detail"] and problem["type"]
    assert headers.get("x-content-type-options") == "nosniff"  # the security headers came too
    return problem


def request_bytes(method, target, headers=(), body=b"", host=None, version="HTTP/1.1"):
    lines = [f"{method} {target} {version}", f"Host: {host or '127.0.0.1'}", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def assert_problem(response, status):
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"] == "application/problem+json", response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert_security_headers(response)
    return body


# --- bodies: nesting, huge numbers, NUL -----------------------------------------------------------------

HOSTILE_BODIES = {
    "nested arrays": "[" * 200_000 + "]" * 200_000,
    "nested objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "huge integer": '{"email": ' + "9" * 100_000 + ', "password": "x"}',
    "huge exponent": '{"email": 1e999999999, "password": "x"}',
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/books"])
def test_hostile_json_is_a_4xx_problem(stack, path, body):
    client = stack.login("librarian") if path.endswith("books") else client_from(f"127.0.3.{uuid.uuid4().int % 250 + 1}")
    response = client.post(stack.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code in (400, 422), (response.status_code, response.text[:300])
    assert_problem(response, response.status_code)


class PathIds(dict):
    """Path parameters for every route: the named ones, and 1 for any other id (a job, an import, a notice ...)."""

    def __missing__(self, key):
        return 1


def test_nul_in_every_text_url_and_query_field_is_refused(stack):
    """Every string field of every request body, and every string query parameter, with a NUL byte (which
    PostgreSQL cannot store): a 4xx problem each, as an admin (who may call everything)."""
    admin = stack.login("admin")
    spec = admin.get(stack.url + "/api/openapi.json", timeout=30).json()
    book = admin.get(stack.url + "/api/v1/books?per_page=1", timeout=30).json()["items"][0]
    ids = PathIds(book_id=book["id"], author_id=book["authors"][0]["id"], token="A" * 43, isbn="9780306406157",
                  kind="due_soon")
    checked = 0
    for path, item in spec["paths"].items():
        url = stack.url + path.format_map(ids)
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            fields = [name for name, _prop in string_fields(spec, body["schema"])] if body else []
            for name in fields:
                response = admin.request(method.upper(), url, json={name: "nul\x00byte"}, timeout=30)
                assert response.status_code in (400, 404, 409, 422), (method, path, name, response.status_code)
                assert_problem(response, response.status_code)
                checked += 1
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] != "query" or "string" not in str(schema.get("type")) or "enum" in schema:
                    continue
                response = admin.request(method.upper(), url, params={parameter["name"]: "nul\x00byte"}, timeout=30)
                assert response.status_code in (400, 404, 422), (method, path, parameter["name"], response.status_code)
                assert_problem(response, response.status_code)
                checked += 1
    assert checked >= 40


# --- request lines and headers ---------------------------------------------------------------------------

def test_a_request_line_over_nginx_limit_is_a_414_problem(stack):
    assert_raw_problem(raw_request(stack, request_bytes("GET", "/api/v1/books?q=" + "a" * 9000)), 414)
    assert_raw_problem(raw_request(stack, request_bytes("GET", "/" + "a" * 9000)), 414)


def test_a_request_line_nginx_accepts_is_never_refused_by_gunicorn(stack):
    """Found: gunicorn's request-line limit (4094) was below nginx's (8 KiB): a line between the two got
    gunicorn's HTML 414. Now a line nginx passes reaches Flask."""
    status, headers, body = raw_request(stack, request_bytes("GET", "/api/v1/books?x=" + "a" * 7900 + "&per_page=1"))
    assert status == 200, (status, body[:300])
    assert_raw_problem(raw_request(stack, request_bytes("GET", "/api/v1/nothing-here-" + "a" * 7900)), 404)


def test_oversized_headers_are_a_431_problem(stack):
    assert_raw_problem(raw_request(stack, request_bytes("GET", "/api/v1/books", [f"X-Big: {'b' * 10_000}"])), 431)
    assert_raw_problem(raw_request(stack, request_bytes("GET", "/api/v1/books",
                                                        [f"Cookie: c{n}={'c' * 7000}" for n in range(6)])), 431)
    # Many small headers, within nginx's 32 KiB, pass gunicorn too (its own count limit was 100).
    status, _, body = raw_request(stack, request_bytes("GET", "/api/v1/books?per_page=1",
                                                       [f"X-H{n}: {n}" for n in range(500)]))
    assert status == 200, body[:300]


@pytest.mark.parametrize("name, data, status", [
    ("CL and TE together", request_bytes("POST", "/api/v1/auth/login", [
        "Content-Type: application/json", "Content-Length: 4", "Transfer-Encoding: chunked"], b"0\r\n\r\n"), 400),
    ("two different Content-Lengths", request_bytes("POST", "/api/v1/auth/login", [
        "Content-Type: application/json", "Content-Length: 2", "Content-Length: 40"], b"{}"), 400),
    ("a negative Content-Length", request_bytes("POST", "/api/v1/auth/login", [
        "Content-Type: application/json", "Content-Length: -1"], b"{}"), 400),
    ("an unknown transfer coding", request_bytes("POST", "/api/v1/auth/login", [
        "Content-Type: application/json", "Transfer-Encoding: gzip"], b"{}"), 501),
    ("a broken chunk", request_bytes("POST", "/api/v1/auth/login", [
        "Content-Type: application/json", "Transfer-Encoding: chunked"], b"zz\r\n{}\r\n0\r\n\r\n"), 400),
    ("a garbage request line", b"HELLO THERE\r\n\r\n", 400),
    ("a bad header line", request_bytes("GET", "/api/v1/books", ["No colon here"]), 400),
    ("HTTP/2.5", request_bytes("GET", "/api/v1/books", version="HTTP/2.5"), 505),
    ("a NUL in the path", request_bytes("GET", "/api/v1/books\x00/1"), 400),
    ("no Host on HTTP/1.1", b"GET /api/v1/books HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
    # Bytes that are not UTF-8 in the query, raw: the search, the lean lane's plain page, a view behind authz.
    ("a query that is not UTF-8", request_bytes("GET", "/api/v1/books?q=caf\xe9"), 400),
    ("a plain page's query that is not UTF-8", request_bytes("GET", "/api/v1/books?per_page=1&x=\xff"), 400),
    ("a query of the health check that is not UTF-8", request_bytes("GET", "/api/health?\xc3"), 400),
])
def test_framing_conflicts_and_malformed_requests_are_4xx_problems(stack, name, data, status):
    # Logins from one loopback address: far below nginx's per-address burst for this handful of requests.
    assert_raw_problem(raw_request(stack, data), status)


@pytest.mark.parametrize("path", ["/api/v1/books", "/", "/js/main.js"])
def test_trace_is_a_405_problem_with_allow(stack, path):
    status, headers, body = raw_request(stack, request_bytes("TRACE", path))
    assert_raw_problem((status, headers, body), 405)
    allow = {m.strip() for m in headers["allow"].split(",")}
    assert "GET" in allow and "TRACE" not in allow


def test_other_methods_nginx_refuses_on_static_files_are_405_problems_with_allow(stack):
    response = requests.post(stack.url + "/js/main.js", data=b"x", timeout=10)
    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD"


def test_every_static_error_is_a_problem_too(stack):
    assert_problem(requests.get(stack.url + "/js/nope.js", timeout=10), 404)
    assert_problem(requests.get(stack.url + "/.env", timeout=10), 404)
    # Static files are served whole (max_ranges 0), so no range can make nginx answer its HTML 416.
    response = requests.get(stack.url + "/index.html", headers={"Range": "bytes=999999-", "Accept-Encoding": "identity"},
                            timeout=10)
    assert response.status_code == 200 and "Content-Range" not in response.headers


# --- the Host header is never reflected -------------------------------------------------------------------

def test_unknown_hosts_get_the_default_server_421(stack):
    for host in ("evil.example", "127.0.0.1.evil.example"):
        assert_raw_problem(raw_request(stack, request_bytes("GET", "/api/v1/books", host=host)), 421)
        assert_raw_problem(raw_request(stack, request_bytes("GET", "/", host=host)), 421)


def test_links_and_redirects_never_name_a_forged_host(stack):
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    response = requests.get(stack.url + "/api/v1/books?per_page=2", headers=forged, timeout=10)
    assert response.status_code == 200
    assert "evil.example" not in response.headers["Link"]
    assert f"<{stack.url}/api/v1/books?" in response.headers["Link"]
    # A folder without its slash: nginx's redirect has no host at all.
    status, headers, _ = raw_request(stack, request_bytes("GET", "/js", host="localhost"))
    assert status == 301 and headers["location"] == "/js/"


def test_calendar_url_names_the_public_address(stack):
    member = stack.login("member")
    response = member.get(stack.url + "/api/v1/members/me/calendar", headers={"X-Forwarded-Host": "evil.example"},
                          timeout=10)
    # The stack's member has no library card (404); the URL builder is tested in test_hardening.py.
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.json()["url"].startswith(stack.url + "/api/v1/calendar/")
