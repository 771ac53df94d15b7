"""Printable PDF label sheets: copy barcode and spine labels, library cards (services/labels.py)."""

from datetime import datetime, time, timedelta, timezone

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from ..authz import STAFF, access
from .. import i18n
from ..errors import Problem, translated
from ..extensions import db
from ..models import Book, Copy, Member
from ..schemas.labels import CardLabelQuery, CopyLabelQuery, LabelSheetsOut
from ..services import labels, settings
from .base import Blueprint

blp = Blueprint("labels", __name__, url_prefix="/api/v1/labels", description="Printable label sheets")
PDF_DOC = {"responses": {"200": {"description": "A PDF to print at actual size on the chosen label sheet",
                                 "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}

LAYOUT_TITLES = {"barcode": i18n.N_("Barcode labels"), "spine": i18n.N_("Spine labels"),
                 "card": i18n.N_("Library cards")}


def sheet_pdf(labels_, layout, args, title, filename, field, nothing):
    """The PDF of these labels on the requested sheet, or a 422 on `field` saying `nothing` when the choice matched
    none."""
    if not labels_:
        raise Problem(422, "The request has invalid fields; see errors.", {field: [nothing]})
    sheet = labels.SHEETS[args["sheet"]]
    # What is printed is the library's: its title and the cards' heading in the library's language.
    language = settings.get("default_language")
    body = labels.render(labels_, layout, sheet, args["skip"], settings.get("library_name"),
                         title=i18n.translate(title, language),
                         card_heading=i18n.translate(i18n.N_("Library card"), language))
    return current_app.response_class(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}-{sheet.name}.pdf"', "Cache-Control": "no-store"})


@blp.route("/sheets")
class LabelSheets(MethodView):
    @access(STAFF)
    @blp.doc(operationId="listLabelSheets")
    @blp.response(200, LabelSheetsOut)
    def get(self):
        """The label sheets the PDFs fit, and which layouts each takes"""
        return {"items": [{"name": s.name, "description": translated(s.description),
                           "paper": "A4" if s.page == labels.A4 else "Letter", "labels_per_sheet": s.per_page,
                           "layouts": list(s.layouts)} for s in labels.SHEETS.values()]}


@blp.route("/copies.pdf")
class CopyLabels(MethodView):
    @access(STAFF)
    @blp.doc(operationId="printCopyLabels", **PDF_DOC)
    @blp.arguments(CopyLabelQuery, location="query")
    def get(self, args):
        """Barcode or spine labels for chosen copies (by id, a book's, or those added on a day), as a PDF"""
        query = select(Copy.barcode, Book.title, Copy.call_number).join(Book, Book.id == Copy.book_id)
        if args.get("copy_id"):
            query = query.where(Copy.id.in_(args["copy_id"]))
        if args.get("book_id"):
            query = query.where(Copy.book_id == args["book_id"])
        if args.get("added_on"):
            start = datetime.combine(args["added_on"], time.min, tzinfo=timezone.utc)
            query = query.where(Copy.created_at >= start, Copy.created_at < start + timedelta(days=1))
        rows = db.session.execute(query.order_by(Copy.id).limit(labels.MAX_LABELS)).all()
        return sheet_pdf([labels.CopyLabel(*row) for row in rows], args["layout"], args,
                         LAYOUT_TITLES[args["layout"]], f"{args['layout']}-labels", "copy_id",
                         "No copy matches this choice.")


@blp.route("/cards.pdf")
class CardLabels(MethodView):
    @access(STAFF)
    @blp.doc(operationId="printLibraryCards", **PDF_DOC)
    @blp.arguments(CardLabelQuery, location="query")
    def get(self, args):
        """Library cards for chosen members (name and card number as Code 128), as a PDF"""
        rows = db.session.execute(select(Member.card_number, Member.name).where(Member.id.in_(args["member_id"]))
                                  .order_by(Member.id)).all()
        return sheet_pdf([labels.CardLabel(*row) for row in rows], "card", args, LAYOUT_TITLES["card"], "library-cards",
                         "member_id", "No member matches this choice.")
