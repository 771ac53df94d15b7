"""Demo catalog: about 200 realistic books, generated deterministically so loading twice changes nothing."""

import random

from sqlalchemy import select

from ..extensions import db
from ..models import Book, Copy, Member
from . import catalog

# Well-known works (title, author, first year, language, subjects).
CLASSICS = [
    ("Pride and Prejudice", "Jane Austen", 1813, "en", ["Fiction", "Romance", "Classics"]),
    ("Emma", "Jane Austen", 1815, "en", ["Fiction", "Classics"]),
    ("Frankenstein", "Mary Shelley", 1818, "en", ["Fiction", "Horror", "Classics"]),
    ("Moby-Dick", "Herman Melville", 1851, "en", ["Fiction", "Adventure", "Classics"]),
    ("Great Expectations", "Charles Dickens", 1861, "en", ["Fiction", "Classics"]),
    ("A Tale of Two Cities", "Charles Dickens", 1859, "en", ["Fiction", "History", "Classics"]),
    ("Middlemarch", "George Eliot", 1871, "en", ["Fiction", "Classics"]),
    ("Jane Eyre", "Charlotte Brontë", 1847, "en", ["Fiction", "Romance", "Classics"]),
    ("Wuthering Heights", "Emily Brontë", 1847, "en", ["Fiction", "Romance", "Classics"]),
    ("The Adventures of Huckleberry Finn", "Mark Twain", 1884, "en", ["Fiction", "Adventure"]),
    ("The Picture of Dorian Gray", "Oscar Wilde", 1890, "en", ["Fiction", "Classics"]),
    ("Dracula", "Bram Stoker", 1897, "en", ["Fiction", "Horror"]),
    ("The Time Machine", "H. G. Wells", 1895, "en", ["Science fiction"]),
    ("The War of the Worlds", "H. G. Wells", 1898, "en", ["Science fiction"]),
    ("Heart of Darkness", "Joseph Conrad", 1899, "en", ["Fiction", "Classics"]),
    ("The Hound of the Baskervilles", "Arthur Conan Doyle", 1902, "en", ["Mystery", "Fiction"]),
    ("The Secret Garden", "Frances Hodgson Burnett", 1911, "en", ["Children's books", "Fiction"]),
    ("Ulysses", "James Joyce", 1922, "en", ["Fiction", "Classics"]),
    ("Mrs Dalloway", "Virginia Woolf", 1925, "en", ["Fiction", "Classics"]),
    ("The Great Gatsby", "F. Scott Fitzgerald", 1925, "en", ["Fiction", "Classics"]),
    ("To the Lighthouse", "Virginia Woolf", 1927, "en", ["Fiction"]),
    ("Brave New World", "Aldous Huxley", 1932, "en", ["Science fiction", "Classics"]),
    ("Their Eyes Were Watching God", "Zora Neale Hurston", 1937, "en", ["Fiction"]),
    ("The Hobbit", "J. R. R. Tolkien", 1937, "en", ["Fantasy", "Children's books"]),
    ("Nineteen Eighty-Four", "George Orwell", 1949, "en", ["Science fiction", "Politics"]),
    ("Animal Farm", "George Orwell", 1945, "en", ["Fiction", "Politics"]),
    ("Foundation", "Isaac Asimov", 1951, "en", ["Science fiction"]),
    ("Fahrenheit 451", "Ray Bradbury", 1953, "en", ["Science fiction"]),
    ("Things Fall Apart", "Chinua Achebe", 1958, "en", ["Fiction", "Africa"]),
    ("To Kill a Mockingbird", "Harper Lee", 1960, "en", ["Fiction", "Classics"]),
    ("Dune", "Frank Herbert", 1965, "en", ["Science fiction"]),
    ("A Wizard of Earthsea", "Ursula K. Le Guin", 1968, "en", ["Fantasy"]),
    ("The Left Hand of Darkness", "Ursula K. Le Guin", 1969, "en", ["Science fiction"]),
    ("The Dispossessed", "Ursula K. Le Guin", 1974, "en", ["Science fiction", "Politics"]),
    ("Beloved", "Toni Morrison", 1987, "en", ["Fiction", "History"]),
    ("The Remains of the Day", "Kazuo Ishiguro", 1989, "en", ["Fiction"]),
    ("A Brief History of Time", "Stephen Hawking", 1988, "en", ["Science", "Physics"]),
    ("The Selfish Gene", "Richard Dawkins", 1976, "en", ["Science", "Biology"]),
    ("Silent Spring", "Rachel Carson", 1962, "en", ["Science", "Environment"]),
    ("The Structure of Scientific Revolutions", "Thomas S. Kuhn", 1962, "en", ["Science", "Philosophy"]),
    ("Gödel, Escher, Bach", "Douglas R. Hofstadter", 1979, "en", ["Mathematics", "Philosophy"]),
    ("The Art of Computer Programming", "Donald E. Knuth", 1968, "en", ["Computing", "Mathematics"]),
    ("Structure and Interpretation of Computer Programs", "Harold Abelson", 1985, "en", ["Computing"]),
    ("Madame Bovary", "Gustave Flaubert", 1857, "fr", ["Fiction", "Classics"]),
    ("Les Misérables", "Victor Hugo", 1862, "fr", ["Fiction", "History", "Classics"]),
    ("Le Petit Prince", "Antoine de Saint-Exupéry", 1943, "fr", ["Children's books", "Fiction"]),
    ("L'Étranger", "Albert Camus", 1942, "fr", ["Fiction", "Philosophy"]),
    ("Le Comte de Monte-Cristo", "Alexandre Dumas", 1844, "fr", ["Fiction", "Adventure"]),
    ("Vingt mille lieues sous les mers", "Jules Verne", 1870, "fr", ["Science fiction", "Adventure"]),
    ("Die Verwandlung", "Franz Kafka", 1915, "de", ["Fiction", "Classics"]),
    ("Der Process", "Franz Kafka", 1925, "de", ["Fiction"]),
    ("Der Zauberberg", "Thomas Mann", 1924, "de", ["Fiction", "Classics"]),
    ("Siddhartha", "Hermann Hesse", 1922, "de", ["Fiction", "Philosophy"]),
    ("Faust", "Johann Wolfgang von Goethe", 1808, "de", ["Drama", "Classics"]),
    ("Don Quijote de la Mancha", "Miguel de Cervantes", 1605, "es", ["Fiction", "Classics"]),
    ("Cien años de soledad", "Gabriel García Márquez", 1967, "es", ["Fiction"]),
    ("Ficciones", "Jorge Luis Borges", 1944, "es", ["Fiction", "Short stories"]),
    ("La casa de los espíritus", "Isabel Allende", 1982, "es", ["Fiction"]),
    ("Il nome della rosa", "Umberto Eco", 1980, "it", ["Mystery", "History"]),
    ("Se questo è un uomo", "Primo Levi", 1947, "it", ["History", "Biography"]),
    ("Il Gattopardo", "Giuseppe Tomasi di Lampedusa", 1958, "it", ["Fiction", "History"]),
    ("Os Lusíadas", "Luís Vaz de Camões", 1572, "pt", ["Poetry", "Classics"]),
    ("Dom Casmurro", "Machado de Assis", 1899, "pt", ["Fiction", "Classics"]),
    ("De avonden", "Gerard Reve", 1947, "nl", ["Fiction"]),
    ("Max Havelaar", "Multatuli", 1860, "nl", ["Fiction", "History"]),
    ("Röda rummet", "August Strindberg", 1879, "sv", ["Fiction"]),
    ("Pippi Långstrump", "Astrid Lindgren", 1945, "sv", ["Children's books"]),
    ("Sult", "Knut Hamsun", 1890, "no", ["Fiction"]),
]

# Invented but plausible works, to fill the catalog out to about 200 books.
FIRST_NAMES = [
    "Amara", "Benedict", "Clara", "Daniel", "Elena", "Farid", "Greta", "Hiroshi", "Ines", "Jonas",
    "Kavya", "Lucas", "Maren", "Nikolai", "Olivia", "Pablo", "Quentin", "Rosa", "Samuel", "Tomasz",
    "Uma", "Vera", "William", "Ximena", "Yusuf", "Zofia", "Margaret", "Thomas", "Helen", "Arjun",
]
LAST_NAMES = [
    "Okafor", "Lindqvist", "Moreau", "Castellanos", "Nakamura", "Whitfield", "Brennan", "Novak",
    "Haddad", "Van der Meer", "Rossi", "Kowalski", "Adeyemi", "Fischer", "O'Connell", "Silva",
    "Petrov", "Dubois", "Ahmed", "Thornton", "McAllister", "Iversen", "Kaur", "Ellison", "Marchetti",
]
# Invented titles are built from these parts, each with the subjects it suggests.
TITLE_PATTERNS = [
    ("The {adj} {noun}", ["Fiction"]), ("The {noun} of {place}", ["Fiction", "History"]),
    ("{a_adj} History of {things}", ["History"]), ("{things} of {place}", ["Nature", "Science"]),
    ("Letters from {place}", ["Fiction", "Romance"]), ("The {noun}'s Daughter", ["Fiction"]),
    ("Understanding {things}", ["Science"]), ("A Field Guide to {things}", ["Nature"]),
    ("Murder at {place}", ["Mystery"]), ("The Last {noun}", ["Science fiction"]),
    ("{adj} {things}", ["Poetry"]), ("Cooking with {food}", ["Cooking"]),
    ("The {noun} Beneath the Hill", ["Fantasy", "Children's books"]), ("Practical {craft}", ["Crafts"]),
    ("Introduction to {discipline}", ["Computing", "Mathematics"]), ("{discipline} for Beginners", ["Science"]),
]
ADJECTIVES = ["Quiet", "Silent", "Glass", "Winter", "Hidden", "Northern", "Burning", "Salt", "Copper", "Forgotten",
              "Patient", "Wandering", "Brief", "Small", "Endless", "Crooked", "Golden", "Last"]
NOUNS = ["Orchard", "Lighthouse", "Cartographer", "Archive", "Observatory", "Clockmaker", "Harbour", "Ferryman",
         "Garden", "Bridge", "Library", "Weaver", "Beekeeper", "Translator", "Station", "Island"]
PLACES = ["Lisbon", "the Northern Coast", "Kraków", "the Salt Road", "Marrakesh", "the Fens", "Valparaíso",
          "the River Oder", "Trieste", "Hokkaido", "the High Moor", "Galway"]
THINGS = ["Rivers", "Mushrooms", "Bridges", "Stars", "Grains", "Birds", "Maps", "Clouds", "Stones", "Seeds", "Tides"]
FOODS = ["Grains", "Seasonal Vegetables", "Spices", "Sourdough", "Fish", "Beans"]
CRAFTS = ["Woodworking", "Bookbinding", "Pottery", "Knitting", "Letterpress"]
DISCIPLINES = ["Statistics", "Databases", "Music Theory", "Astronomy", "Linguistics", "Ecology", "Python"]
SUBTITLES = [None, None, None, "A Novel", "A Practical Guide", "Essays", "Second Edition", "An Introduction"]
PUBLISHERS = [
    "Harbour Press", "Northfield Books", "Penguin Classics", "Oxford University Press", "Vintage",
    "Gallimard", "Suhrkamp", "Anagrama", "Einaudi", "Faber & Faber", "Riverbend Publishing",
]
DESCRIPTIONS = [
    "A landmark work that has shaped generations of readers.",
    "An accessible account, with illustrations and a full index.",
    "Told with warmth and wit, this story follows a family across three generations.",
    "A clear, practical introduction for readers new to the subject.",
    "A gripping tale of courage, loss and discovery.",
]
DEMO_SIZE = 200
SEED = 20261127


def with_article(word: str) -> str:
    """The word after its indefinite article, chosen by the first letter: "A Quiet", "An Endless" (right for every
    adjective here)."""
    return f"{'An' if word[:1].lower() in 'aeiou' else 'A'} {word}"


def _isbn13(rng: random.Random) -> str:
    body = "978" + rng.choice("01") + "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def demo_books() -> list[dict]:
    """The demo catalog as BookIn-shaped dicts; the same list on every call."""
    rng = random.Random(SEED)
    books, seen = [], set()

    def isbn():
        while (value := _isbn13(rng)) in seen:
            pass
        seen.add(value)
        return value

    for title, author, year, language, subjects in CLASSICS:
        books.append({
            "title": title, "authors": [{"name": author}], "isbn": isbn(), "published_year": year,
            "language": language, "subjects": subjects, "publisher": rng.choice(PUBLISHERS),
            "description": rng.choice(DESCRIPTIONS),
        })
    titles = {b["title"] for b in books}
    while len(books) < DEMO_SIZE:
        pattern, subjects = rng.choice(TITLE_PATTERNS)
        adj = rng.choice(ADJECTIVES)
        title = pattern.format(adj=adj, a_adj=with_article(adj), noun=rng.choice(NOUNS), place=rng.choice(PLACES),
                               things=rng.choice(THINGS), food=rng.choice(FOODS), craft=rng.choice(CRAFTS),
                               discipline=rng.choice(DISCIPLINES))
        if title in titles:
            continue
        titles.add(title)
        authors = [{"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"} for _ in range(rng.choice((1, 1, 1, 2)))]
        books.append({
            "title": title, "subtitle": rng.choice(SUBTITLES), "authors": authors, "isbn": isbn(),
            "published_year": rng.randrange(1950, 2026), "language": rng.choice(["en"] * 6 + ["fr", "de", "es"]),
            "subjects": subjects, "publisher": rng.choice(PUBLISHERS), "description": rng.choice(DESCRIPTIONS),
        })
    return books


DEMO_MEMBERS = ["Amelia Hart", "Bruno Costa", "Chloé Martin", "Dev Patel", "Elif Yılmaz", "Finn O'Brien",
                "Grace Okoye", "Hugo Lindström", "Isla Murray", "Jun Tanaka"]


def load_demo() -> int:
    """Add the demo books that are not there yet (matched by ISBN), one to three copies of each, and ten
    members with cards DEMO-M01..; returns how many books were added. Loading twice changes nothing."""
    wanted = demo_books()
    existing = set(db.session.scalars(select(Book.isbn).where(Book.isbn.in_([b["isbn"] for b in wanted]))))
    added = 0
    for data in wanted:
        if data["isbn"] not in existing:
            catalog.create_book(data)
            added += 1
    _load_copies_and_members(wanted)
    return added


def _load_copies_and_members(wanted: list[dict]) -> None:
    rng = random.Random(SEED + 1)
    books = dict(db.session.execute(select(Book.isbn, Book.id).where(Book.isbn.in_([b["isbn"] for b in wanted]))).all())
    have = set(db.session.scalars(select(Copy.barcode).where(Copy.barcode.like("DEMO-%"))))
    for index, data in enumerate(wanted):
        for n in range(1, rng.choice((1, 1, 2, 3)) + 1):
            barcode = f"DEMO-{index + 1:04d}-{n}"
            location = rng.choice(["Main hall", "Children's room", "Reference", "Stack A"])  # drawn every time
            if barcode not in have and data["isbn"] in books:
                db.session.add(Copy(book_id=books[data["isbn"]], barcode=barcode, status="available", location=location))
    cards = set(db.session.scalars(select(Member.card_number).where(Member.card_number.like("DEMO-%"))))
    for index, name in enumerate(DEMO_MEMBERS, start=1):
        if f"DEMO-M{index:02d}" not in cards:
            db.session.add(Member(card_number=f"DEMO-M{index:02d}", name=name, status="active"))
    db.session.commit()


HISTORY_READERS = 50  # members DEMO-R01.. besides the ten named ones: a year of loans of a small library
HISTORY_LOANS_PER_DAY = 5
HISTORY_HOLDS = 4


def load_history(days: int = 365, now=None):
    """A year (or `days`) of loans of the demo copies by the demo members and 50 more readers (two of whom keep no
    reading history), up to now, and a few holds; only once (None when the demo copies have loans already).
    Returns what was made (services/demo_history.Made)."""
    from .. import clock
    from ..models import Loan
    from . import circulation, demo_history, holdshelf, settings

    now = now or clock.now()
    copies = db.session.scalars(select(Copy.id).where(Copy.barcode.like("DEMO-%"))).all()
    if not copies or db.session.scalar(select(Loan.id).where(Loan.copy_id.in_(copies)).limit(1)) is not None:
        return None
    rng = random.Random(SEED + 2)
    cards = set(db.session.scalars(select(Member.card_number).where(Member.card_number.like("DEMO-R%"))))
    for n in range(1, HISTORY_READERS + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"  # drawn every time, so names do not shift
        if f"DEMO-R{n:02d}" not in cards:
            db.session.add(Member(card_number=f"DEMO-R{n:02d}", name=name, status="active", keep_history=n % 25 != 0))
    db.session.commit()
    members = db.session.scalars(select(Member.id).where(Member.card_number.like("DEMO-%"))).all()
    rules = settings.rules()
    plan = demo_history.Plan(loans=days * HISTORY_LOANS_PER_DAY, days=days, loan_days=rules.loan_days,
                             max_loans=rules.max_loans)
    made = demo_history.add_history(copies, members, plan, now)
    # A few holds: on books whose copies are all out (waiting) and on books on the shelf (pulled at once: ready).
    on_loan = select(Copy.book_id).where(Copy.id.in_(copies), Copy.status == "on_loan")
    on_shelf = select(Copy.book_id).where(Copy.id.in_(copies), Copy.status == "available")
    waiting = db.session.scalars(on_loan.where(Copy.book_id.not_in(on_shelf)).distinct().order_by(Copy.book_id)).all()
    ready = db.session.scalars(on_shelf.distinct().order_by(Copy.book_id)).all()
    ready = ready[:HISTORY_HOLDS // 2]
    for book_id, member_id in zip([*waiting[:HISTORY_HOLDS], *ready], rng.sample(members, 6)):
        circulation.place_hold(book_id, db.session.get(Member, member_id), rules)
    for book_id in ready:
        holdshelf.capture(db.session.scalars(select(Copy.barcode).where(
            Copy.id.in_(copies), Copy.book_id == book_id, Copy.status == "available").order_by(Copy.id)).first(), rules)
    return made
