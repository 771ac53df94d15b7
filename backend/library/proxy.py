"""werkzeug's ProxyFix, with its forwarded headers read without a character-by-character parse.

ProxyFix reads each X-Forwarded-* header with werkzeug's parse_list_header, which walks the value a character at
a time (it must, for quoted strings): with three headers on every request behind nginx, a few microseconds of
every answer, the cached and the lean lane's ones included (bench/README.md). A value without a double quote has
nothing quoted, so its items are the comma-separated pieces, stripped of spaces and tabs, empty ones dropped:
exactly what parse_list_header gives (tests/test_proxy.py holds the two equal). A value with a quote is still read
by werkzeug.
"""

from werkzeug.middleware.proxy_fix import ProxyFix as _ProxyFix


class ProxyFix(_ProxyFix):
    def _get_real_value(self, trusted: int, value: str | None) -> str | None:
        if not (trusted and value):
            return None
        if '"' in value:
            return super()._get_real_value(trusted, value)
        if "," not in value:  # one proxy: the commonest value of all
            value = value.strip(" \t")
            return value if value and trusted == 1 else None
        values = [item for item in (item.strip(" \t") for item in value.split(",")) if item]
        return values[-trusted] if len(values) >= trusted else None
