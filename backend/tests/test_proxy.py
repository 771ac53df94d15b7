"""library.proxy.ProxyFix reads X-Forwarded-* exactly as werkzeug's ProxyFix does: the client's address, scheme and
host a request is seen with (the Link headers' URLs, the rate limits' and the audit log's address)."""

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.middleware.proxy_fix import ProxyFix as WerkzeugProxyFix

from library.proxy import ProxyFix

# What a forwarded header may carry, and what makes parse_list_header's work: commas, quotes, escapes, blanks.
VALUES = st.text(alphabet=st.sampled_from('ab1.:[]-, \t"\\'), max_size=40)


@settings(max_examples=2000, deadline=None)
@given(value=st.one_of(st.none(), VALUES), trusted=st.integers(min_value=0, max_value=3))
def test_a_forwarded_value_is_read_as_werkzeug_reads_it(value, trusted):
    ours, theirs = ProxyFix(None), WerkzeugProxyFix(None)
    assert ours._get_real_value(trusted, value) == theirs._get_real_value(trusted, value)


def test_a_request_behind_two_proxies_is_seen_with_the_client_and_the_public_scheme_and_host():
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    environ = {"REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "HTTP_HOST": "backend:8000",
               "SERVER_NAME": "backend", "SERVER_PORT": "8000",
               "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7,10.0.0.2", "HTTP_X_FORWARDED_PROTO": "https,http",
               "HTTP_X_FORWARDED_HOST": "library.example.org, backend"}
    ProxyFix(app, x_for=2, x_proto=2, x_host=2)(environ, lambda *_: None)
    assert (seen["REMOTE_ADDR"], seen["wsgi.url_scheme"], seen["HTTP_HOST"]) == \
        ("198.51.100.7", "https", "library.example.org")
    assert seen["werkzeug.proxy_fix.orig"]["REMOTE_ADDR"] == "127.0.0.1"
