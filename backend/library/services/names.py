"""Author sort names: "Ursula K. Le Guin" files as "Le Guin, Ursula K."."""

# Name particles that belong with the surname when they precede it.
PARTICLES = {
    "da", "das", "de", "del", "della", "der", "des", "di", "do", "dos", "du",
    "la", "le", "van", "von", "ten", "ter", "den", "bin", "ibn", "al", "el", "st.", "y",
}
SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "phd", "ph.d.", "md"}


def sort_name(name: str) -> str:
    """Derive "Last, First" from a display name; names with a comma or one word stay as given."""
    name = " ".join(name.split())
    if "," in name:
        return name
    words = name.split(" ")
    suffix = []
    while len(words) > 2 and words[-1].lower() in SUFFIXES:
        suffix.insert(0, words.pop())
    if len(words) < 2:
        return " ".join(words + suffix)
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in PARTICLES:
        start -= 1
    last, first = " ".join(words[start:]), " ".join(words[:start])
    result = f"{last}, {first}"
    return f"{result}, {' '.join(suffix)}" if suffix else result
