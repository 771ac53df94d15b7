"""Domain rules without HTTP: ISBN normalisation and author sort names."""

import pytest

from library.services import isbn
from library.services.names import sort_name


@pytest.mark.parametrize(
    ("given", "isbn13"),
    [
        ("0-306-40615-2", "9780306406157"),        # ISBN-10 with hyphens
        ("0306406152", "9780306406157"),           # ISBN-10 bare
        ("0 306 40615 2", "9780306406157"),        # spaces
        ("978-0-306-40615-7", "9780306406157"),    # ISBN-13 with hyphens
        ("9780306406157", "9780306406157"),
        (" 978 0 306 40615 7 ", "9780306406157"),  # surrounding and inner spaces
        ("0-8044-2957-X", "9780804429573"),        # X check digit
        ("080442957x", "9780804429573"),           # lower-case x
        ("979-10-90636-07-1", "9791090636071"),    # 979 prefix (no ISBN-10 exists)
        ("306406152", "9780306406157"),            # a 9-digit SBN is an ISBN-10 with a leading 0
    ],
)
def test_valid_isbns_normalise_to_isbn13(given, isbn13):
    assert isbn.normalize(given) == isbn13


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("0-306-40615-3", "check digit"),          # ISBN-10, wrong check digit
        ("978-0-306-40615-8", "check digit"),      # ISBN-13, wrong check digit
        ("30640615", "10 or 13"),                  # 8 digits
        ("03064061522", "10 or 13"),               # 11 digits
        ("97803064061571", "10 or 13"),            # 14 digits
        ("977-0-306-40615-8", "978 or 979"),       # valid EAN-13, but an ISSN prefix
        ("0-306-4O615-2", "digits"),               # letter O instead of zero
        ("978030640615X", "digits"),               # X is no ISBN-13 check digit
        ("", "digits"),
    ],
)
def test_invalid_isbns_are_refused_with_a_reason(given, message):
    with pytest.raises(isbn.InvalidISBN, match=message):
        isbn.normalize(given)


def test_isbn_output_forms():
    assert isbn.formatted("9780306406157") == "978-0-306-40615-7"
    assert isbn.to_isbn10("9780306406157") == "0306406152"
    assert isbn.to_isbn10("9791090636071") is None  # 979 ISBNs have no ISBN-10
    assert isbn.formatted(None) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane Austen", "Austen, Jane"),
        ("Ursula K. Le Guin", "Le Guin, Ursula K."),
        ("J.R.R. Tolkien", "Tolkien, J.R.R."),
        ("Ludwig van Beethoven", "van Beethoven, Ludwig"),
        ("Vincent van der Berg", "van der Berg, Vincent"),
        ("Martin Luther King Jr.", "King, Martin Luther, Jr."),
        ("Homer", "Homer"),
        ("Tolkien, J. R. R.", "Tolkien, J. R. R."),  # already inverted: kept
        ("  Jane    Austen ", "Austen, Jane"),        # white space folded
        ("Gabriel García Márquez", "Márquez, Gabriel García"),  # best effort; sort_name may be given
    ],
)
def test_sort_name_derivation(name, expected):
    assert sort_name(name) == expected
