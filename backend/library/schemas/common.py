"""Fields and envelopes shared by every resource's schemas."""

import re

import marshmallow as ma
from marshmallow import fields, validate

ID_MAX = 2**31 - 1  # PostgreSQL integer; ids beyond it cannot exist
PER_PAGE_DEFAULT, PER_PAGE_MAX = 20, 100
PAGE_MAX = 1_000_000
# Control characters (C0, DEL, C1) and the BOM are refused; multi-line text keeps tab, CR and LF.
_CONTROL_CLASS_ONE_LINE = r"\x00-\x1f\x7f-\x9f\ufeff"
_CONTROL_CLASS_MULTILINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff"
# Characters str.strip() removes that are not control characters: a value of only these is empty.
_BLANK_CLASS = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: str) -> bool:
    """A lone UTF-16 surrogate (valid in a JSON escape, not in UTF-8) cannot be stored or hashed. (One regular
    expression, not a loop over the characters: a search's words and a cursor are checked on every request.)"""
    return not value.isascii() and _SURROGATE.search(value) is not None


class Text(fields.String):
    """A string that is trimmed, length-checked and free of control characters (NUL breaks PostgreSQL).

    Empty strings become None for optional fields and are refused for required ones.
    """

    def __init__(self, max_length, *, multiline=False, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)
        control = _CONTROL_CLASS_MULTILINE if multiline else _CONTROL_CLASS_ONE_LINE
        self.control = re.compile(f"[{control}]")
        # The same rule, stated for clients in the spec: no control characters, and not blank unless optional.
        allowed = f"[^{control}]"
        pattern = f"^{allowed}*$" if self.allow_none else f"^{allowed}*[^{control}{_BLANK_CLASS}\t\n\r]{allowed}*$"
        self.metadata.setdefault("maxLength", max_length)
        self.metadata.setdefault("pattern", pattern)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > self.max_length:
            raise ma.ValidationError(f"At most {self.max_length} characters.")
        if self.control.search(value):
            raise ma.ValidationError("Control characters are not allowed.")
        if has_lone_surrogate(value):
            raise ma.ValidationError("Not valid Unicode text.")
        value = value.strip()
        if not value:
            if self.allow_none:
                return None
            raise ma.ValidationError("Must not be empty.")
        return value


# An http(s) URL: a host name (letters, digits, hyphens, dots), an IPv4 address or a bracketed IPv6 address, an
# optional port, then a path, query or fragment of printable characters without spaces, quotes, <, >, \, ^, `,
# {, | or }. The same expression validates the field and is its pattern in the spec, so the two always agree.
_URL_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]{2,45}\])"
HTTP_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://" + _URL_HOST + r"(?::[0-9]{1,5})?(?:[/?#][!#-;=?-\[\]_a-z~\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]*)?$"


class Url(fields.String):
    """An http or https URL (HTTP_URL_PATTERN), at most max_length characters; no spaces or control
    characters (NUL breaks PostgreSQL). An empty string means no value, like Text."""

    def __init__(self, max_length, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)
        self.regex = re.compile(HTTP_URL_PATTERN)
        self.metadata.setdefault("maxLength", max_length)
        self.metadata.setdefault("pattern", f"^(?:{HTTP_URL_PATTERN[1:-1]})?$" if self.allow_none else HTTP_URL_PATTERN)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > self.max_length:
            raise ma.ValidationError(f"At most {self.max_length} characters.")
        if not value and self.allow_none:
            return None
        if not self.regex.fullmatch(value):
            raise ma.ValidationError("Not a valid http or https URL.")
        return value


class StrictBoolean(fields.Boolean):
    """true or false only (marshmallow's Boolean also takes 0, 1, "yes" ...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Integer(fields.Integer):
    """JSON Schema's integer, which the spec promises: 5, and 5.0 or 5e0 (a number without a fraction), loaded
    as 5; never true, "5" or 5.5 (marshmallow's strict Integer also refuses 5.0, which the spec allows)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


def Id(**kwargs):  # noqa: N802 - a field factory named like a field
    return Integer(validate=validate.Range(min=1, max=ID_MAX), **kwargs)


class StrictSchema(ma.Schema):
    """Input schemas reject unknown fields."""

    class Meta:
        unknown = ma.RAISE


class PageQuery(ma.Schema):
    """page and per_page, shared by every list."""

    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX))
    per_page = fields.Integer(
        load_default=PER_PAGE_DEFAULT,
        validate=validate.Range(min=1, max=PER_PAGE_MAX),
        metadata={"description": f"Items per page (at most {PER_PAGE_MAX})"},
    )


def page_of(item_schema, name):
    """The one page envelope: {"items": [...], "total": N, "page": p, "per_page": n}."""
    return ma.Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
        },
        name=name,
    )
