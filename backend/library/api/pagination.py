"""The page envelope and its RFC 8288 Link header (first, prev, next, last)."""

import math
from urllib.parse import quote_plus, urlencode

from flask import request
from sqlalchemy import func, select

from ..extensions import db
from .base import request_url


def page_response(items, total, args):
    """Return (body, headers) for one page of a list."""
    page, per_page = args["page"], args["per_page"]
    last = max(1, math.ceil(total / per_page))
    params = request.args.to_dict(flat=False)

    def link(number, rel):
        params["page"] = [str(number)]
        return f'<{request_url()}?{urlencode(params, doseq=True)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    links.append(link(last, "last"))
    body = {"items": items, "total": total, "page": page, "per_page": per_page}
    return body, {"Link": ", ".join(links)}


def page_of_query(query, args, order_by):
    """One page of a SELECT and the total it would match: (items, total)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(
        query.order_by(*order_by).limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])
    ).all()
    return items, total


LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 links to the first, prev, next and last pages',
        "schema": {"type": "string"},
    }
}


def book_page_response(body, args, deep_limit, params=None, url=None, kept=None):
    """(body, headers) for a book list: page links while page numbers reach, else the cursor. params and url: the
    request's query (as request.args.to_dict(flat=False)) and its URL without the query (request_url()), for a
    caller outside a request context (library/fastpath.py); kept: params without page and cursor as urlencode
    writes them, when the caller has them already."""
    params = request.args.to_dict(flat=False) if params is None else params
    url = request_url() if url is None else url

    # The query without page and cursor, encoded once; each link appends its own page or cursor, as
    # urlencode(query | change) would write it (the change last).
    if kept is None:
        kept = urlencode({k: v for k, v in params.items() if k not in ("page", "cursor")}, doseq=True)
    kept = kept + "&" if kept else kept

    def link(rel, name, value):  # as urlencode writes it (a page number needs no quoting)
        return f'<{url}?{kept}{name}={value if type(value) is int else quote_plus(str(value))}>; rel="{rel}"'

    links = [link("first", "page", 1)]
    page, per_page = body["page"], body["per_page"]
    if page is not None:  # page mode
        if page > 1:
            links.append(link("prev", "page", page - 1))
        if body["next_cursor"] and page * per_page < deep_limit:
            links.append(link("next", "page", page + 1))
        elif body["next_cursor"]:
            links.append(link("next", "cursor", body["next_cursor"]))
        last = max(1, math.ceil(body["total"] / per_page))
        if not body["total_is_estimate"] and (last - 1) * per_page < deep_limit:
            links.append(link("last", "page", last))
    elif body["next_cursor"]:
        links.append(link("next", "cursor", body["next_cursor"]))
    return body, {"Link": ", ".join(links)}


BOOK_LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 links: first, prev, next and last by page number; next by cursor in cursor mode '
                       'and past the pages page numbers reach',
        "schema": {"type": "string"},
    }
}


def page_of_rows(query, args, order_by):
    """One page of a SELECT of columns, as dicts by column label, and the total: (items, total)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(
        query.order_by(*order_by).limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])
    ).mappings().all()
    return [dict(row) for row in rows], total
