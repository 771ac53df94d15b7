"""The edge, through real nginx in front of real gunicorn (the `stack` fixture): static files, the /api
proxy, security headers on every kind of response, nginx's own problem+json errors, caching, gzip."""

import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest
import requests

pytestmark = pytest.mark.nginx

# SECURITY-CHECKLIST 2.5 (HSTS only over HTTPS, so not here).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
                               "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(), camera=(self), microphone=(), payment=(), usb=()",  # the scanner
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
JS_TYPES = ("text/javascript", "application/javascript")


def assert_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        # requests joins repeated headers with ", ": a duplicate would show up as a mismatch too.
        assert response.headers.get(name) == value, f"{name} on {response.request.method} {response.url} " \
                                                    f"({response.status_code})"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def assert_problem(response, status):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]


def media_type(response):
    return response.headers.get("Content-Type", "").split(";")[0].strip()


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.styles = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])


def index_assets(stack):
    """The scripts and stylesheets index.html makes a browser load, as absolute URLs."""
    parser = _Assets()
    parser.feed(requests.get(stack.url + "/", timeout=10).text)
    absolute = lambda path: f"{stack.url}/{path.removeprefix('./').removeprefix('/')}"  # noqa: E731
    return [absolute(p) for p in parser.scripts], [absolute(p) for p in parser.styles]


# --- the SPA ---------------------------------------------------------------------------------------

def test_index_is_html_and_always_revalidated(stack):
    response = requests.get(stack.url + "/", timeout=10)
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers.get("ETag")
    assert_security_headers(response)


def test_every_script_and_stylesheet_of_index_loads_with_its_type(stack):
    scripts, styles = index_assets(stack)
    assert scripts and styles, "index.html references no script or stylesheet"
    for url, types in [*((u, JS_TYPES) for u in scripts), *((u, ("text/css",)) for u in styles)]:
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, url
        assert media_type(response) in types, url  # module scripts with another type are refused by browsers
        assert response.headers["Cache-Control"] == "no-cache", url
        assert_security_headers(response)


def test_unchanged_assets_revalidate_with_a_cheap_304(stack):
    scripts, styles = index_assets(stack)
    for url in scripts[:1] + styles[:1]:
        for encoding in ("identity", "gzip"):  # gzip turns the ETag weak; revalidation must still work
            first = requests.get(url, headers={"Accept-Encoding": encoding}, timeout=10)
            etag = first.headers["ETag"]
            again = requests.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": etag}, timeout=10)
            assert again.status_code == 304, (url, encoding)
            assert again.content == b""
            assert again.headers["ETag"].removeprefix("W/") == etag.removeprefix("W/")
            assert again.headers["Cache-Control"] == "no-cache"
            assert_security_headers(again)


def test_missing_static_file_is_a_404_not_index_html(stack):
    response = requests.get(stack.url + "/js/does-not-exist.js", timeout=10)
    assert response.status_code == 404
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/package.json", "/tests/", "/.git/HEAD", "/.env"])
def test_frontend_tooling_and_dotfiles_are_not_served(stack, path):
    response = requests.get(stack.url + path, timeout=10)
    assert response.status_code == 404
    assert_security_headers(response)


# --- the API proxy ----------------------------------------------------------------------------------

def test_api_answers_through_nginx_exactly_as_gunicorn_does(stack):
    via_nginx = requests.get(stack.url + "/api/health", timeout=10)
    direct = requests.get(stack.backend_url + "/api/health", timeout=10)
    assert via_nginx.status_code == direct.status_code == 200
    assert via_nginx.json() == direct.json() == {"status": "ok", "database": "ok"}
    assert media_type(via_nginx) == "application/json"
    assert_security_headers(via_nginx)


@pytest.mark.parametrize("target", [
    "/api/v1/books?q=caf%C3%A9%20%26%2Bx%2F&per_page=3",  # a search: the same results either way
    "/api/v1/books/caf%C3%A9%2F..%2F1?q=%2F",              # encoded bytes, slash and dots in the path
])
def test_path_and_query_reach_flask_byte_for_byte(stack, target):
    """nginx neither decodes nor normalises the request target on its way to Flask."""
    target += f"&t={time.monotonic_ns()}"  # a unique line in gunicorn's access log
    via_nginx = requests.get(stack.url + target, timeout=10)
    direct = requests.get(stack.backend_url + target, timeout=10)
    assert via_nginx.status_code == direct.status_code
    assert via_nginx.json() | {"request_id": None} == direct.json() | {"request_id": None}  # ids differ by design
    request_line = f'"GET {target} HTTP/1.0"'  # nginx speaks HTTP/1.0 to the upstream
    deadline = time.monotonic() + 5
    while request_line not in stack.gunicorn_log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert request_line in stack.gunicorn_log.read_text()


def test_api_responses_are_not_cached_unless_the_api_says_so(stack):
    response = requests.get(stack.url + "/api/v1/books", timeout=10)
    assert response.status_code == 200
    assert response.headers["Cache-Control"]  # no-store from nginx, or the API's own choice
    if "Cache-Control" not in requests.get(stack.backend_url + "/api/v1/books", timeout=10).headers:
        assert response.headers["Cache-Control"] == "no-store"


def test_api_404_keeps_the_api_problem_body_and_gets_the_headers(stack):
    response = requests.get(stack.url + "/api/v1/books/987654321", timeout=10)
    assert_problem(response, 404)
    assert response.headers["Cache-Control"]
    assert_security_headers(response)


def test_body_over_1_mib_is_refused_by_nginx_as_problem_json(stack):
    body = json.dumps({"title": "x" * (2 * 1024 * 1024)})
    response = requests.post(stack.url + "/api/v1/books", data=body,
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert_problem(response, 413)
    assert_security_headers(response)


def test_backend_down_gives_502_problem_json_and_the_spa_still_loads(stack):
    stack.stop_backend()
    try:
        response = requests.get(stack.url + "/api/v1/books", timeout=10)
        assert_problem(response, 502)
        assert response.json()["detail"] == "The API backend is unavailable."
        assert response.headers["Cache-Control"] == "no-store"
        assert_security_headers(response)
        assert requests.get(stack.url + "/", timeout=10).status_code == 200
    finally:
        stack.start_backend()
    assert requests.get(stack.url + "/api/health", timeout=10).status_code == 200


def test_a_burst_of_50_concurrent_requests_all_succeed(stack):
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: requests.get(stack.url + "/api/v1/books", timeout=30).status_code,
                                 range(50)))
    assert statuses == [200] * 50


# --- compression and fingerprinting -------------------------------------------------------------------

def test_text_responses_are_gzipped_for_clients_that_accept_it(stack):
    scripts, styles = index_assets(stack)
    for url in [scripts[0], styles[0], stack.url + "/api/v1/books"]:
        # stream=True: look at the bytes on the wire, before requests decodes them.
        response = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
        raw = response.raw.read(decode_content=False)
        assert response.headers.get("Content-Encoding") == "gzip", url
        assert "Accept-Encoding" in response.headers.get("Vary", ""), url
        if url.endswith(".js") or url.endswith(".css"):
            plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
            assert "Content-Encoding" not in plain.headers
            assert gzip.decompress(raw) == plain.content, url
        else:
            assert json.loads(gzip.decompress(raw))


@pytest.mark.parametrize("path", ["/", "/nope", "/api/health", "/api/nope"])
def test_server_header_names_no_version(stack, path):
    response = requests.get(stack.url + path, timeout=10)
    assert response.headers["Server"] == "nginx"
    assert "X-Powered-By" not in response.headers
    assert "gunicorn" not in response.text.lower() and "werkzeug" not in response.text.lower()


def test_page_links_point_at_the_public_origin(stack):
    """ProxyFix and the forwarded headers agree: Link URLs name nginx's host and port, not gunicorn's."""
    response = requests.get(f"{stack.url}/api/v1/books?per_page=5&sort=title", timeout=10)
    links = response.headers["Link"]
    assert f"<{stack.url}/api/v1/books?per_page=5&sort=title&page=2>; rel=\"next\"" in links
    assert stack.backend_url not in links
