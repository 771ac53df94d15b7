"""Deterministic generator of realistic books for the benchmark, as CSV for `flask --app library import-books`.

    python bench/generate.py --rows 1000000 --out bench/.cache/books-1000000.csv   [--seed 20261127] [--no-description]

The same rows, seed and options always give the same bytes (check: `--out -` twice, piped to sha256sum).
Rows are streamed; a million take well under a minute. What the benchmark searches for is fixed here:
  COMMON_WORD  in about 1.5 % of titles (Zipf-ranked nouns, it is rank 0)
  RARE_WORD    planted in exactly RARE_COUNT rows (titles and descriptions), nowhere else
  PHRASE       two adjacent title words (an adjective-noun pair that occurs naturally)
  PREFIX       the first four letters of a fairly common title noun
"""

import argparse
import csv
import hashlib
import random
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import words  # noqa: E402

DEFAULT_SEED = 20261127
COLUMNS = ["title", "subtitle", "authors", "isbn", "publisher", "year", "language", "subjects", "description"]
COMMON_WORD = "garden"
RARE_WORD = "zanzibarite"
RARE_COUNT = 7
PHRASE = ("silent", "garden")
PREFIX = "ligh"  # light (rank 10), lighthouse is not a word here, lightning is
AUTHOR_COUNT = 4000
YEAR_MIN, YEAR_MAX = 1800, 2025


class Weighted:
    """Fast weighted choice: a lookup table of ~20 000 slots indexed by one random number."""

    def __init__(self, items, weights, slots=20000):
        total = sum(weights)
        self.table = []
        for item, weight in zip(items, weights):
            self.table += [item] * max(1, round(weight / total * slots))
        self.n = len(self.table)

    def pick(self, rng):
        return self.table[int(rng.random() * self.n)]


def zipf(items, shift):
    """Zipf-like weights 1/(rank + shift): a larger shift is flatter."""
    return Weighted(items, [1.0 / (rank + shift) for rank in range(len(items))])


def isbn13(body12):
    """body12 (12 digits) plus its ISBN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def unique_isbn(index, rng):
    """A valid ISBN-13, unique per row index: a bijection of the index into the 9-digit space.

    Mostly 978-x; one in ten 979-8 (the newer US range), whose 8 digits are another bijection."""
    if rng.random() < 0.1:
        return isbn13("9798" + f"{(index * 7_654_321 + 1_234_567) % 10**8:08d}")
    return isbn13("978" + f"{(index * 387_420_489 + 12_345_678) % 10**9:09d}")


class Generator:
    def __init__(self, seed=DEFAULT_SEED, rows=10_000, description=True):
        self.rng = random.Random(seed)
        self.rows = rows
        self.description = description
        nouns = list(dict.fromkeys(words.NOUNS))
        adjectives = list(dict.fromkeys(words.ADJECTIVES))
        assert nouns[0] == COMMON_WORD and RARE_WORD not in nouns + adjectives
        self.nouns = zipf(nouns, 70)
        self.adjectives = zipf(adjectives, 8)
        self.flat_nouns = nouns
        setup = random.Random(seed + 1)  # the author pool does not depend on the row count
        combos = setup.sample(range(len(words.FIRST_NAMES) * len(words.LAST_NAMES)), AUTHOR_COUNT)
        authors = []
        for n, combo in enumerate(combos):
            first = words.FIRST_NAMES[combo // len(words.LAST_NAMES)]
            last = words.LAST_NAMES[combo % len(words.LAST_NAMES)]
            middle = f" {chr(65 + setup.randrange(26))}." if n % 5 == 0 else ""
            authors.append(f"{first}{middle} {last}")
        # Distinct names case-insensitively (the middle initial could collide in theory).
        authors = list({a.lower(): a for a in authors}.values())
        self.authors = zipf(authors, 200)  # prolific authors have hundreds of books at 1M
        self.subjects = zipf(words.SUBJECTS, 8)
        publishers = [f"{w} {s}" for w in words.PUBLISHER_WORDS for s in words.PUBLISHER_SUFFIXES]
        setup.shuffle(publishers)
        self.publishers = zipf(publishers, 20)
        self.languages = Weighted([c for c, _ in words.LANGUAGES], [w for _, w in words.LANGUAGES])
        # Publication years lean recent: most books from the last 60 years, a long tail back to 1800.
        years = list(range(YEAR_MIN, YEAR_MAX + 1))
        self.years = Weighted(years, [1.0 + 30.0 * 1.045 ** (y - YEAR_MAX) * 20 for y in years])
        # Rows that carry the rare word: spread over the file; odd ones in the title, even ones in the description.
        self.rare_rows = {(k + 1) * rows // (RARE_COUNT + 1): k for k in range(RARE_COUNT)}

    def title(self):
        r, n, a = self.rng.random(), self.nouns.pick, self.adjectives.pick
        rng = self.rng
        if r < 0.22:
            return f"The {a(rng).title()} {n(rng).title()}"
        if r < 0.36:
            return f"The {n(rng).title()} of {n(rng).title()}"
        if r < 0.48:
            return f"{a(rng).title()} {n(rng).title()}"
        if r < 0.58:
            return f"{n(rng).title()} and {n(rng).title()}"
        if r < 0.66:
            return f"A {n(rng).title()} in the {n(rng).title()}"
        if r < 0.74:
            return f"The {n(rng).title()}'s {n(rng).title()}"
        if r < 0.82:
            return f"{n(rng).title()}s of the {a(rng).title()} {n(rng).title()}"
        if r < 0.88:
            return f"The {a(rng).title()} {n(rng).title()} and the {n(rng).title()}"
        if r < 0.94:
            return f"The {n(rng).title()}"
        return f"Beyond the {a(rng).title()} {n(rng).title()}"

    def subtitle(self):
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            return f"A {rng.choice(words.DESCRIPTION_KINDS).title()}"
        if r < 0.8:
            return f"{self.nouns.pick(rng).title()}s and {self.nouns.pick(rng).title()}s"
        return f"Book {rng.randrange(1, 9)} of the {self.nouns.pick(rng).title()} Cycle"

    def text(self):
        rng = self.rng
        opening = rng.choice(words.DESCRIPTION_OPENINGS)
        first = (f"{opening} {rng.choice(words.DESCRIPTION_KINDS)} of {rng.choice(words.DESCRIPTION_TOPICS)} and "
                 f"{rng.choice(words.DESCRIPTION_TOPICS)} in {rng.choice(words.DESCRIPTION_PLACES)}.")
        if rng.random() < 0.5:
            return first
        second = rng.choice(words.DESCRIPTION_SECOND).format(
            name=rng.choice(words.FIRST_NAMES), n=rng.randrange(2, 40),
            adj=self.adjectives.pick(rng), noun=rng.choice(self.flat_nouns))
        return f"{first} {second}"

    def row(self, index):
        rng = self.rng
        title = self.title()
        subtitle = self.subtitle() if rng.random() < 0.2 else ""
        count = 1 if rng.random() < 0.72 else (2 if rng.random() < 0.75 else 3)
        authors = list(dict.fromkeys(self.authors.pick(rng) for _ in range(count)))
        isbn = unique_isbn(index, rng)
        publisher = self.publishers.pick(rng) if rng.random() < 0.95 else ""
        year = str(self.years.pick(rng)) if rng.random() < 0.97 else ""
        language = self.languages.pick(rng)
        subjects = list(dict.fromkeys(self.subjects.pick(rng) for _ in range(1 + int(rng.random() * 2.6))))
        description = self.text() if rng.random() < 0.9 else ""
        rare = self.rare_rows.get(index)
        if rare is not None:
            if rare % 2 == 0 or not self.description:
                title = f"{title} and the {RARE_WORD.title()}"
            else:
                description = f"{description} A note on {RARE_WORD} closes it.".lstrip()
        out = [title, subtitle, ";".join(authors), isbn, publisher, year, language, ";".join(subjects)]
        if self.description:
            out.append(description)
        return out

    def write(self, stream):
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS if self.description else COLUMNS[:-1])
        for index in range(self.rows):
            writer.writerow(self.row(index))


def generate(path, rows, seed=DEFAULT_SEED, description=True):
    """Write the CSV to path (atomically: a .tmp renamed at the end); return its sha256."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "w", newline="", encoding="utf-8", buffering=1 << 20) as stream:
        Generator(seed, rows, description).write(stream)
    tmp.replace(path)
    return sha256(path)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", default="-", help="CSV file, or - for stdout (default)")
    parser.add_argument("--no-description", dest="description", action="store_false",
                        help="leave out the description column (for an importer that does not take it)")
    args = parser.parse_args(argv)
    if args.out == "-":
        Generator(args.seed, args.rows, args.description).write(sys.stdout)
    else:
        print(generate(args.out, args.rows, args.seed, args.description), args.out)


if __name__ == "__main__":
    main()
