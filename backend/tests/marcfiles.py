"""Small MARC and CSV files shaped like real exports, made here with pymarc (no third-party data): MARC-8 and
UTF-8 ISO 2709, MARCXML, a Koha export with 952 holdings, a Libib CSV, and hostile files."""

import io
import zipfile

import pymarc
from pymarc import Field, Indicators, Subfield


def field(tag, ind1=" ", ind2=" ", *pairs):
    return Field(tag=tag, indicators=Indicators(ind1, ind2),
                 subfields=[Subfield(code, value) for code, value in zip(pairs[::2], pairs[1::2])])


def record(*fields, leader="00000nam a2200000 i 4500", controls=(), to_unicode=True):
    marc = pymarc.Record(leader=leader, to_unicode=to_unicode, force_utf8=to_unicode)
    for tag, data in controls:
        marc.add_field(Field(tag=tag, data=data))
    for item in fields:
        marc.add_field(item)
    return marc


def book_008(year="1974", language="eng"):
    return "      s" + year + "    xxu" + " " * 17 + language + " d"


def koha_record(title, author, isbns, barcodes, year="1974", location="FIC", call="813.54 LEG", home="MPL"):
    """A bibliographic record as Koha exports it (ISBD punctuation, 952 items)."""
    fields = [field("020", " ", " ", "a", isbn) for isbn in isbns]
    fields += [field("100", "1", " ", "a", author + ","), field("245", "1", "0", "a", title + " /", "c", "by someone."),
               field("264", " ", "1", "a", "New York :", "b", "Harper & Row,", "c", year + "."),
               field("650", " ", "0", "a", "Science fiction", "x", "History and criticism."),
               field("082", "0", "4", "a", "813.54")]
    fields += [field("952", " ", " ", "a", home, "b", home, "c", location, "o", call, "p", barcode, "y", "BK")
               for barcode in barcodes]
    return record(*fields, controls=[("008", book_008(year))])


def iso2709(*records) -> bytes:
    return b"".join(r.as_marc() for r in records)


def marc8_record() -> bytes:
    """A MARC-8 record (leader/09 blank): accents are combining marks before the letter (0xE2 = acute)."""
    marc = record(field("100", "1", " ", "a", "Garc\xe2ia M\xe2arquez, Gabriel,"),
                  field("245", "1", "0", "a", "Cien a\xe4nos de soledad /"),
                  field("264", " ", "1", "b", "Sudamericana,", "c", "1967."),
                  leader="00000nam  2200000 a 4500", controls=[("008", book_008("1967", "spa"))], to_unicode=False)
    return marc.as_marc()


def marcxml(*records, prolog="") -> bytes:
    body = b"".join(pymarc.record_to_xml(r) for r in records)
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n' + prolog.encode()
            + b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + body + b"</collection>")


def billion_laughs() -> bytes:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 12))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE collection [{entities}]>\n'
            '<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 i 4500</leader>'
            '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&a11;</subfield></datafield></record>'
            '</collection>').encode()


def many_fields_marcxml(count=100_000) -> bytes:
    fields = "".join(f'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">n{i}</subfield></datafield>'
                     for i in range(count))
    return (b'<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim">'
            b'<record><leader>00000nam a2200000 i 4500</leader>'
            b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Huge</subfield></datafield>'
            + fields.encode() + b"</record><record><leader>00000nam a2200000 i 4500</leader>"
            b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">After the huge one</subfield></datafield>'
            b"</record></collection>")


def zip_bomb() -> bytes:
    """A zip of a million zero bytes named like MARCXML (small, but it would unpack to much more)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("books.xml", b"\0" * 1_000_000)
    return out.getvalue()


LIBIB_HEADER = ("item_type,title,creators,first_name,last_name,collection,ean_isbn13,upc_isbn10,description,publisher,"
                "publish_date,group,tags,notes,price,length,number_of_discs,number_of_players,age_group,ensemble,"
                "aspect_ratio,esrb,rating,review,review_date,status,began,completed,added,copies")


def libib_csv() -> bytes:
    rows = [
        'book,Good Omens,"Terry Pratchett, Neil Gaiman",Terry,Pratchett,Home,9780552137034,0552137030,'
        '"An angel and a demon, and the end of the world.",Corgi,1990-11-01,,"Fantasy, Humour",,8.99,383,,,,,,,,,,,,,'
        '2024-01-02,1',
        'book,The Dispossessed,Ursula K. Le Guin,Ursula,Le Guin,Home,9780060512750,006051275X,,Harper,1974,,'
        'Science fiction,,,,,,,,,,,,,,,,2024-01-02,2',
        'book,No ISBN Here,Someone Local,Someone,Local,Home,,,,,2001,,,,,,,,,,,,,,,,,,2024-01-02,1',
    ]
    return (LIBIB_HEADER + "\n" + "\n".join(rows) + "\n").encode()
