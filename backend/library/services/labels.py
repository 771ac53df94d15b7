"""Printable PDF label sheets, drawn with reportlab (which draws Code 128 itself): copy barcode labels (title,
Code 128 barcode, call number), spine labels (the call number, large) and library cards (the library's name,
the member's name, their card number as Code 128).

Sheets are named by the common Avery products they fit; the geometry is the product's, so a sheet prints
straight onto the labels at 100 % scale ("actual size", not "fit to page"). `skip` leaves the first labels of
the first sheet blank, to use up a sheet that was partly used before.
"""

import io
from dataclasses import dataclass
from pathlib import Path

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import inch, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ..i18n import N_

LAYOUTS = ("barcode", "spine", "card")
MAX_LABELS = 1000
QUIET_MODULES = 10  # Code 128's quiet zone on each side, in bar widths
MAX_BAR_WIDTH = 0.33 * mm


@dataclass(frozen=True)
class Sheet:
    name: str
    description: str
    page: tuple[float, float]
    columns: int
    rows: int
    width: float  # one label
    height: float
    left: float  # the first label's distance from the page's left and top edges
    top: float
    pitch_x: float  # from one label's left edge to the next one's
    pitch_y: float
    layouts: tuple[str, ...]

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """The bottom-left corner of the index-th label of a page (row by row), in PDF coordinates."""
        row, column = divmod(index, self.columns)
        return self.left + column * self.pitch_x, self.page[1] - self.top - row * self.pitch_y - self.height


SHEETS = {sheet.name: sheet for sheet in (
    Sheet("L7160", N_("Avery L7160: A4, 21 labels (3 × 7) of 63.5 × 38.1 mm"), A4, 3, 7, 63.5 * mm, 38.1 * mm,
          7.25 * mm, 15.15 * mm, 66.04 * mm, 38.1 * mm, ("barcode", "spine", "card")),
    Sheet("L7651", N_("Avery L7651: A4, 65 labels (5 × 13) of 38.1 × 21.2 mm"), A4, 5, 13, 38.1 * mm, 21.2 * mm,
          4.75 * mm, 10.7 * mm, 40.64 * mm, 21.2 * mm, ("barcode", "spine")),
    Sheet("C32011", N_("Avery C32011: A4, 10 cards (2 × 5) of 85 × 54 mm"), A4, 2, 5, 85 * mm, 54 * mm,
          17 * mm, 13.5 * mm, 91 * mm, 54 * mm, ("card",)),
    Sheet("5160", N_("Avery 5160: US Letter, 30 labels (3 × 10) of 2 5/8 × 1 in"), LETTER, 3, 10, 2.625 * inch,
          1 * inch, 0.1875 * inch, 0.5 * inch, 2.75 * inch, 1 * inch, ("barcode", "spine", "card")),
    Sheet("5167", N_("Avery 5167: US Letter, 80 labels (4 × 20) of 1 3/4 × 1/2 in"), LETTER, 4, 20, 1.75 * inch,
          0.5 * inch, 0.3 * inch, 0.5 * inch, 2.05 * inch, 0.5 * inch, ("spine",)),
    Sheet("5371", N_("Avery 5371: US Letter, 10 cards (2 × 5) of 3 1/2 × 2 in"), LETTER, 2, 5, 3.5 * inch, 2 * inch,
          0.75 * inch, 0.5 * inch, 3.5 * inch, 2 * inch, ("card",)),
)}


@dataclass(frozen=True)
class CopyLabel:
    barcode: str
    title: str
    call_number: str | None


@dataclass(frozen=True)
class CardLabel:
    card_number: str
    name: str


# --- fonts: a TrueType font with wide Unicode coverage (DejaVu where installed, else reportlab's Vera) ---------

FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
]
_fonts: tuple[str, str] | None = None


def fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered with reportlab once per process."""
    global _fonts
    if _fonts is None:
        import reportlab

        vera = Path(reportlab.__file__).parent / "fonts"
        candidates = [*FONT_CANDIDATES, (str(vera / "Vera.ttf"), str(vera / "VeraBd.ttf"))]
        regular, bold = next((r, b) for r, b in candidates if Path(r).exists() and Path(b).exists())
        pdfmetrics.registerFont(TTFont("LabelSans", regular))
        pdfmetrics.registerFont(TTFont("LabelSans-Bold", bold))
        _fonts = ("LabelSans", "LabelSans-Bold")
    return _fonts


def fit(text: str, font: str, size: float, width: float) -> str:
    """text, cut with an ellipsis where it would be wider than width."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def fitting_size(lines: list[str], font: str, width: float, height: float, largest: float) -> float:
    size = min(largest, height / (1.15 * max(1, len(lines))))
    widest = max((pdfmetrics.stringWidth(line, font, 1) for line in lines), default=0)
    return max(4.0, min(size, width / widest)) if widest else size


def draw_code128(canvas: Canvas, value: str, x: float, y: float, width: float, height: float) -> None:
    """Code 128 of value centred in the box, as wide as fits (bars at most 0.33 mm), with its quiet zones."""
    modules = Code128(value, barWidth=1, quiet=False).width  # the symbol's width in modules
    bar_width = min(MAX_BAR_WIDTH, width / (modules + 2 * QUIET_MODULES))
    symbol = Code128(value, barWidth=bar_width, barHeight=height, quiet=False)
    symbol.drawOn(canvas, x + (width - symbol.width) / 2, y)


# --- the three layouts ------------------------------------------------------------------------------------

def _pad(sheet: Sheet) -> float:
    return min(2.5 * mm, sheet.height * 0.08)


def draw_barcode_label(canvas: Canvas, label: CopyLabel, x: float, y: float, sheet: Sheet) -> None:
    """The call number (top right, bold) and the title (top left, cut to fit), the barcode, its text below."""
    regular, bold = fonts()
    pad = _pad(sheet)
    width, height = sheet.width - 2 * pad, sheet.height - 2 * pad
    text_size = max(5.0, min(8.0, height / 8))
    top = y + sheet.height - pad - text_size
    title_room = width
    if label.call_number:
        call_number = fit(label.call_number, bold, text_size, width * 0.6)
        canvas.setFont(bold, text_size)
        canvas.drawRightString(x + pad + width, top, call_number)
        title_room = width - pdfmetrics.stringWidth(call_number, bold, text_size) - 1.5 * mm
    canvas.setFont(regular, text_size)
    canvas.drawString(x + pad, top, fit(label.title, regular, text_size, title_room))
    bar_height = height - 2 * text_size * 1.25 - pad / 2
    draw_code128(canvas, label.barcode, x + pad, y + pad + text_size * 1.25, width, bar_height)
    canvas.setFont(regular, text_size)
    canvas.drawCentredString(x + sheet.width / 2, y + pad, label.barcode)


def draw_spine_label(canvas: Canvas, label: CopyLabel, x: float, y: float, sheet: Sheet) -> None:
    """The call number in lines (split at spaces), as large as fits; the title when there is none."""
    _regular, bold = fonts()
    pad = _pad(sheet)
    width, height = sheet.width - 2 * pad, sheet.height - 2 * pad
    lines = (label.call_number or label.title).split()[:4 if label.call_number else 3] or ["—"]
    size = fitting_size(lines, bold, width, height, 16)
    lines = [fit(line, bold, size, width) for line in lines]
    canvas.setFont(bold, size)
    block = size * 1.15 * len(lines)
    top = y + pad + (height + block) / 2 - size
    for n, line in enumerate(lines):
        canvas.drawCentredString(x + sheet.width / 2, top - n * size * 1.15, line)


def draw_card(canvas: Canvas, label: CardLabel, x: float, y: float, sheet: Sheet, library_name: str,
              card_heading: str = "Library card") -> None:
    regular, bold = fonts()
    pad = _pad(sheet) * 1.5
    width, height = sheet.width - 2 * pad, sheet.height - 2 * pad
    head = max(5.0, min(10.0, height / 7))
    canvas.setFont(bold, head)
    canvas.drawString(x + pad, y + sheet.height - pad - head, fit(library_name, bold, head, width))
    canvas.setFont(regular, head * 0.8)
    canvas.drawRightString(x + pad + width, y + sheet.height - pad - head, card_heading)
    name_size = head * 1.1
    canvas.setFont(bold, name_size)
    canvas.drawString(x + pad, y + sheet.height - pad - head - name_size * 1.5, fit(label.name, bold, name_size, width))
    text_size = head * 0.9
    bar_bottom = y + pad + text_size * 1.3
    bar_height = (y + sheet.height - pad - head - name_size * 2.2) - bar_bottom
    draw_code128(canvas, label.card_number, x + pad, bar_bottom, width, bar_height)
    canvas.setFont(regular, text_size)
    canvas.drawCentredString(x + sheet.width / 2, y + pad, label.card_number)


def render(labels: list, layout: str, sheet: Sheet, skip: int = 0, library_name: str = "Library",
           title: str = "Labels", card_heading: str = "Library card") -> bytes:
    """The PDF: the labels in order on as many sheets as they need, after `skip` blank ones. title (the document's)
    and card_heading (printed on each card) come in the caller's language."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=sheet.page, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator(library_name)
    for position, label in enumerate(labels, start=skip):
        index = position % sheet.per_page
        if index == 0 and position != skip:
            canvas.showPage()
        x, y = sheet.origin(index)
        if layout == "barcode":
            draw_barcode_label(canvas, label, x, y, sheet)
        elif layout == "spine":
            draw_spine_label(canvas, label, x, y, sheet)
        else:
            draw_card(canvas, label, x, y, sheet, library_name, card_heading)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
