"""The languages of the catalog: which ISO 639-1 codes its books have, with English names, for the language filter."""

import re

import pycountry
from sqlalchemy import func, select

from ..extensions import db
from ..models import Book

_QUALIFIER = re.compile(r"\s*\([^)]*\)$")  # "Modern Greek (1453-)", "Swahili (macrolanguage)"


def language_name(code: str) -> str:
    """The English name of an ISO 639-1 code without ISO's qualifiers ("el" -> "Modern Greek"); an unknown code as is."""
    language = pycountry.languages.get(alpha_2=code)
    return _QUALIFIER.sub("", language.name) if language else code


def catalog_languages(args: dict) -> tuple[list[dict], int]:
    """One page of the languages the books have, by name, with their number of books: (items, total). There are at
    most 184 ISO 639-1 codes, so they are named and sorted here (the database does not know the names)."""
    rows = db.session.execute(
        select(Book.language, func.count()).where(Book.language.is_not(None)).group_by(Book.language)).all()
    languages = sorted(({"code": code, "name": language_name(code), "book_count": count} for code, count in rows),
                       key=lambda item: (item["name"].casefold(), item["code"]))
    start = (args["page"] - 1) * args["per_page"]
    return languages[start:start + args["per_page"]], len(languages)
