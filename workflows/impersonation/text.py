"""Text normalisation shared by candidate discovery and scoring.

Impersonators win by making two different strings look the same: Cyrillic o (U+043E) for Latin o,
"rn" for "m", fancy Unicode fonts. Comparing *skeletons* (Unicode TR39 section 4) instead of raw
strings makes those tricks collapse onto the original. The confusables data is the
`confusable_homoglyphs` package's copy of the Unicode consortium's `confusables.txt`, so it is
maintained upstream rather than typed in here.
"""

import json
import re
import string
import unicodedata
from functools import lru_cache
from importlib import resources

# Leetspeak digits are not TR39 confusables, but in a handle they read as the letter they
# replace ("MooreNormanT3ch"), so handle comparison folds them as well.
_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"})
_WORDS = re.compile(r"[^\W_]+")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_LONE_SYMBOLS = re.compile(r"(?<!\w)[^\w\s]+(?!\w)")
_HANDLE_SEPARATORS = str.maketrans("", "", "._-")


@lru_cache(maxsize=1)
def _load_confusables() -> dict[str, list[dict[str, str]]]:
    """The package only exposes lookups (`is_confusable`); the mapping itself is its JSON."""
    source = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    data: dict[str, list[dict[str, str]]] = json.loads(source.read_text(encoding="utf-8"))
    return data


def _prototype(char: str, graph: dict[str, set[str]]) -> str | None:
    """The package stores each TR39 line `source -> prototype` in both directions, so a
    character with several neighbours is a prototype (prototypes map to themselves), and one
    whose only neighbour has several is a source. A lone pair is settled by preferring a
    sequence, then ASCII, then the lower code point: any fixed choice gives the same classes.
    """
    neighbours = graph.get(char, set())
    if len(neighbours) != 1:
        return None
    (other,) = neighbours
    if len(other) > 1 or len(graph.get(other, ())) > 1:
        return other
    if other.isascii() != char.isascii():
        return other if other.isascii() else None
    return other if other < char else None


@lru_cache(maxsize=1)
def _skeleton_table() -> dict[int, str]:
    graph = {key: {entry["c"] for entry in entries} for key, entries in _load_confusables().items()}
    table: dict[int, str] = {}
    for char in graph:
        if len(char) == 1:
            target = _prototype(char, graph)
            if target is not None and target != char:
                table[ord(char)] = target
    return table


@lru_cache(maxsize=1)
def ascii_confusables() -> dict[str, tuple[str, ...]]:
    """ASCII sequences TR39 says look like other ASCII sequences (m ~ rn, l ~ 1 ~ I, O ~ 0).

    Handle generation uses these because most platforms only allow ASCII in handles.
    """
    pairs: dict[str, set[str]] = {}
    for key, entries in _load_confusables().items():
        if not (key.isascii() and key.isalnum()):
            continue
        for entry in entries:
            other = entry["c"]
            if other.isascii() and other.isalnum() and other != key:
                pairs.setdefault(key, set()).add(other)
    return {key: tuple(sorted(values)) for key, values in sorted(pairs.items())}


@lru_cache(maxsize=1)
def unicode_confusables() -> dict[str, tuple[str, ...]]:
    """Single non-ASCII characters that look like each ASCII letter or digit, most common
    scripts first (Cyrillic and Greek are what impersonators actually use in display names)."""
    table = _skeleton_table()
    found: dict[str, list[str]] = {}
    for code, target in table.items():
        char = chr(code)
        if char.isascii() or len(target) != 1 or not target.isascii() or not target.isalnum():
            continue
        if not char.isalnum():
            continue  # a symbol (U+22A4 for T) standing alone is punctuation to `skeleton`
        if unicodedata.normalize("NFKC", char) != char:
            continue  # fancy fonts fold back under NFKC: they fool nobody who normalises
        found.setdefault(target, []).append(char)

    def rank(char: str) -> tuple[int, int]:
        name = unicodedata.name(char, "")
        script = 0 if name.startswith("CYRILLIC") else 1 if name.startswith("GREEK") else 2
        return (script, ord(char))

    return {key: tuple(sorted(chars, key=rank)) for key, chars in sorted(found.items())}


def has_confusable(text: str) -> bool:
    """Whether a non-ASCII character in `text` has a TR39 prototype: Cyrillic o (U+043E) does,
    an accented "é" does not (after NFKC it is a letter in its own right)."""
    table = _skeleton_table()
    return any(not c.isascii() and ord(c) in table for c in text)


def plain(text: str) -> str:
    """Compatibility-folded and case-folded: what phrase lists are matched against."""
    return unicodedata.normalize("NFKC", text).casefold()


def skeleton(text: str) -> str:
    """TR39 skeleton, case-folded.

    ASCII capitals are lowered first: TR39 reads capital I as l, which would make "CVCI" and
    "cvci" different. Other scripts' capitals keep their prototypes (Cyrillic capital em is "M"),
    and the table is applied again after case folding ('M' -> 'm' -> 'rn'). NFD first so
    accented letters reduce to their base letter. Free-standing punctuation ("Library |
    MNTC") is dropped: TR39 reads "|" as "l", which is right inside a word, not between two.
    """
    if text.isascii():  # most text: one table lookup per character
        if "|" in text:  # the one ASCII symbol TR39 turns into a letter
            text = _LONE_SYMBOLS.sub(" ", text)
        return text.translate(_ascii_skeleton_table())
    return _full_skeleton(_LONE_SYMBOLS.sub(" ", text))


def _full_skeleton(text: str) -> str:
    table = _skeleton_table()
    folded = unicodedata.normalize("NFD", text.translate(_ASCII_LOWER)).translate(table)
    return unicodedata.normalize("NFD", folded.casefold().translate(table))


@lru_cache(maxsize=1)
def _ascii_skeleton_table() -> dict[int, str]:
    """ASCII needs no normalisation, so its skeleton is character by character."""
    return {code: _full_skeleton(chr(code)) for code in range(128)}


def word_list(text: str) -> list[str]:
    """Vocabulary written as one string of space-separated words, for readability."""
    return text.split()


def words(text: str) -> list[str]:
    """Alphanumeric runs: separators, punctuation, emoji and badges ("✔") all split words."""
    return _WORDS.findall(text)


def compact(text: str) -> str:
    """Alphanumerics only, so "Moore-Norman Tech", "moore_norman_tech" and "MooreNormanTech"
    compare equal."""
    return "".join(_WORDS.findall(text))


def handle_fold(handle: str) -> str:
    """A handle as a reader sees it: no case, no separators, digits read as letters, and
    homoglyphs collapsed. Handles ignore case, so capital I (TR39's l) and lowercase i
    cannot be told apart by the platform; "i", "l" and "1" all fold to one letter."""
    folded = skeleton(handle.translate(_HANDLE_SEPARATORS).casefold().translate(_LEET))
    return folded.replace("l", "i")
