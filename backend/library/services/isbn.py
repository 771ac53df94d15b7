"""ISBN normalisation: accept ISBN-10 or ISBN-13 with hyphens or spaces, store the 13 digits."""

from functools import lru_cache

from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

_MESSAGES = {
    InvalidChecksum: "Not a valid ISBN: wrong check digit.",
    InvalidLength: "Not a valid ISBN: an ISBN has 10 or 13 digits.",
    InvalidFormat: "Not a valid ISBN: use digits (X only as an ISBN-10 check digit), hyphens and spaces.",
    InvalidComponent: "Not a valid ISBN: an ISBN-13 starts with 978 or 979.",
}


class InvalidISBN(ValueError):
    """Raised with a message a person can act on."""


def normalize(value: str) -> str:
    """Return the ISBN-13 (digits only) for an ISBN-10 or ISBN-13, or raise InvalidISBN."""
    if len(value) == 13 and value.isascii() and value.isdigit() and value[:3] in ("978", "979"):
        # The common case (an import's ISBN-13 column) without stdnum's cleaning: the same check digit rule.
        if (10 - (sum(map(int, value[0:12:2])) + 3 * sum(map(int, value[1:12:2]))) % 10) % 10 == int(value[12]):
            return value
    try:
        compact = stdnum_isbn.validate(value)
    except ValidationError as error:
        raise InvalidISBN(_MESSAGES.get(type(error), "Not a valid ISBN.")) from None
    if len(compact) != 13:
        compact = stdnum_isbn.to_isbn13(compact)
    return compact


@lru_cache(maxsize=65536)
def to_isbn10(isbn13: str | None) -> str | None:
    """The ISBN-10 form, which exists only for 978- ISBNs."""
    if not isbn13 or not isbn13.startswith("978"):
        return None
    return stdnum_isbn.to_isbn10(isbn13)


@lru_cache(maxsize=65536)  # hyphenation looks up range tables: a third of a list page's serialisation
def formatted(isbn13: str | None) -> str | None:
    """Hyphenated by the registration group and registrant ranges (978-0-306-40615-7)."""
    return stdnum_isbn.format(isbn13) if isbn13 else None
