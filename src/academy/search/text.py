"""Text handling shared by both search backends: queries, plain text, words, highlights.

Plain Python (no Django), so the rules are the same whatever the database. A query never reaches
an engine as typed: it is cut to MAX_QUERY_LENGTH, split into words (letters and digits of any
script), and each backend quotes every word itself, so quotes, `NEAR`, `*`, `-`, `OR` or SQL
are only ever words to look for.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_TERM_LENGTH = 40
MIN_VOCABULARY_LENGTH = 3
WORD = re.compile(r"[^\W_]+")

# Highlight markers the engines put around matches: control characters that never occur in
# indexed text, so the surrounding text can be escaped before they become <mark> tags.
MARK_START = "\x02"
MARK_END = "\x03"

# Words too common to search by, in the three content languages. They are dropped from a query
# unless nothing else is left ("how to" still searches for something).
_STOP_WORDS = """
    a an and are as at be but by can do does for from get how i if in into is it its me my no
    not of on or our so than that the their them then there these they this to too up us was
    we what when where which who why will with you your yours
    al como con de del el en es esta este hay la las lo los mas mi mis muy para pero por que
    se sin sobre su sus te tu tus un una uno unos y ya ti nuestro nuestra
    ao as com da das do dos e em na nas no nos o os ou pela pelo por pra seu sua seus suas um
    uma voce meu minha meus minhas nosso nossa
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def fold(word: str) -> str:
    """Case and accents removed: 'Retención' -> 'retencion'."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The words of ``text``, case-folded, in order (letters and digits of any script)."""
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class ParsedQuery:
    """A query as search uses it.

    ``text`` is what was searched for (whitespace collapsed, at most MAX_QUERY_LENGTH
    characters); ``truncated`` says it was cut; ``terms`` are the words to match, stop words
    dropped unless nothing else is left.
    """

    text: str
    truncated: bool
    terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms


def parse_query(raw: str) -> ParsedQuery:
    collapsed = " ".join(raw.split())
    truncated = len(collapsed) > MAX_QUERY_LENGTH
    text = collapsed[:MAX_QUERY_LENGTH]
    found = [word for word in words(text) if len(word) <= MAX_TERM_LENGTH]
    kept = [word for word in found if fold(word) not in STOP_WORDS] or found
    unique = list(dict.fromkeys(kept))[:MAX_TERMS]
    return ParsedQuery(text=text, truncated=truncated, terms=tuple(unique))


# ---------------------------------------------------------------------------------------------
# Indexed text


def plain_text(markdown: str) -> str:
    """Markdown as the words a reader sees: markup, link targets and HTML removed."""
    parts: list[str] = []
    for token in _markdown.parse(markdown):
        if token.type == "inline" and token.children:
            parts.append(
                " ".join(
                    child.content
                    for child in token.children
                    if child.type in {"text", "code_inline"} and child.content
                )
            )
        elif token.type in {"fence", "code_block"}:
            parts.append(token.content)
    return "\n".join(" ".join(part.split()) for part in parts if part.strip())


def vocabulary_words(texts: Iterable[str]) -> dict[str, str]:
    """The words worth suggesting in ``texts``: folded key -> the word as written (lower case).

    Only alphabetic words of MIN_VOCABULARY_LENGTH to MAX_TERM_LENGTH letters, no stop words.
    """
    found: dict[str, str] = {}
    for text in texts:
        for word in words(text):
            if not (MIN_VOCABULARY_LENGTH <= len(word) <= MAX_TERM_LENGTH) or not word.isalpha():
                continue
            key = fold(word)
            if key not in STOP_WORDS:
                found.setdefault(key, word)
    return found


def trigrams(key: str) -> list[str]:
    """The distinct three-letter pieces of a padded folded word, in order."""
    text = padded(key)
    return list(dict.fromkeys(text[index : index + 3] for index in range(len(text) - 2)))


# ---------------------------------------------------------------------------------------------
# "Did you mean"


def padded(key: str) -> str:
    """A folded word with the boundary padding pg_trgm uses, so that its first and last letters
    form trigrams of their own ("hook" -> "  hook ")."""
    return f"  {key} "


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    neighbouring letters each cost one."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i, *([0] * len(b))]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_edit_away(key: str) -> set[str]:
    """Every string one insertion, deletion, substitution or swap away from a folded Latin
    word (Norvig's spelling corrector); empty for other scripts."""
    if not key.isascii() or not key.isalpha():
        return set()
    splits = [(key[:index], key[index:]) for index in range(len(key) + 1)]
    return {
        *(left + right[1:] for left, right in splits if right),
        *(left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1),
        *(left + letter + right[1:] for left, right in splits if right for letter in LETTERS),
        *(left + letter + right for left, right in splits for letter in LETTERS),
    } - {key}


def allowed_typos(key: str) -> int:
    """How many edits a word of this length may carry and still be corrected."""
    return 1 if len(key) <= 4 else 2 if len(key) <= 8 else 3


def closest_word(key: str, candidates: Sequence[tuple[str, str, int]]) -> str | None:
    """The candidate (key, word, documents) most like ``key``, or None when none is close.

    Fewest edits first; among equally close words, the one more documents hold (a correction
    should lead to results), then the one difflib finds most alike.
    """
    best: tuple[int, int, float, str] | None = None
    for candidate_key, word, documents in candidates:
        if candidate_key == key:
            return word
        distance = edit_distance(key, candidate_key)
        if distance > allowed_typos(key):
            continue
        alike = difflib.SequenceMatcher(a=key, b=candidate_key, autojunk=False).ratio()
        ranked = (distance, -documents, -alike, word)
        if best is None or ranked < best:
            best = ranked
    return best[3] if best else None


# ---------------------------------------------------------------------------------------------
# Highlights


def marked_html(text: str) -> str:
    """Engine output with MARK_START/MARK_END markers as safe HTML: everything escaped, matches
    in <mark>. Stray markers (a snippet cut between them) are closed or dropped."""
    out: list[str] = []
    open_mark = False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", text):
        if piece == MARK_START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif piece == MARK_END:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(html.escape(piece, quote=False))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


def strip_marks(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


# ---------------------------------------------------------------------------------------------
# Excerpts to highlight

# Letters a folded query word may stand for in indexed text (accents are ignored in matching).
_ACCENTED = {
    "a": "aàáâãäå",
    "c": "cç",
    "e": "eèéêë",
    "i": "iìíîï",
    "n": "nñ",
    "o": "oòóôõö",
    "u": "uùúûü",
    "y": "yýÿ",
}
EXCERPT_LENGTH = 200
_EXCERPT_LEAD = 40


@functools.lru_cache(maxsize=1024)
def _likely_forms(stem: str) -> re.Pattern[str]:
    """Words that may have ``stem`` (an engine's lexeme, lower case and without accents):
    those starting with it, or with all but its last letter when it is longer than four
    ("studi" is the stem of "study"), accents and case ignored. Generous on purpose: the
    engine decides what matches, this only says where to look."""
    key = fold(stem)
    start = key if len(key) <= 4 else key[:-1]
    letters = "".join(
        f"[{_ACCENTED[char]}]" if char in _ACCENTED else re.escape(char) for char in start
    )
    return re.compile(rf"(?<![^\W_]){letters}", re.IGNORECASE)


_WORD_REST = re.compile(r"[^\W_]*")


def _word_rest(text: str, offset: int) -> str:
    """The letters and digits of ``text`` from ``offset`` to the end of their word."""
    found = _WORD_REST.match(text, offset)
    return found.group() if found else ""


def excerpt(
    text: str, stems: Iterable[str], typed: Iterable[str] = (), *, length: int = EXCERPT_LENGTH
) -> str | None:
    """A passage of ``text`` of about ``length`` characters (whole words) holding words of the
    most distinct ``stems`` (then the most words as ``typed``), or None when no word of
    ``text`` looks like any of them.

    Highlighting a bounded passage instead of a whole body keeps the engine's cost per result
    constant; a text of at most ``length`` characters is returned whole.
    """
    keys = {fold(word) for word in typed}
    hits: list[tuple[int, int, bool]] = []  # (offset, stem number, the word as typed)
    for number, stem in enumerate(dict.fromkeys(stem for stem in stems if stem)):
        for match in _likely_forms(stem).finditer(text):
            word = _word_rest(text, match.start()).casefold()
            hits.append((match.start(), number, (word if word.isascii() else fold(word)) in keys))
    if not hits:
        return None
    if len(text) <= length:
        return text
    # A window starting a little before each hit, slid along the hits in order: the most
    # distinct stems, then the most words as typed.
    hits.sort()
    inside: Counter[int] = Counter()
    best_first, best_score, right, as_typed = 0, (0, 0), 0, 0
    for offset, number, exact in hits:
        first = max(0, min(offset - _EXCERPT_LEAD, len(text) - length))
        while right < len(hits) and hits[right][0] < first + length:
            inside[hits[right][1]] += 1
            as_typed += hits[right][2]
            right += 1
        if (len(inside), as_typed) > best_score:
            best_first, best_score = first, (len(inside), as_typed)
        inside[number] -= 1
        as_typed -= exact
        if not inside[number]:
            del inside[number]
    # Whole words only: start after a cut word, end at the end of one.
    start = best_first
    if start and WORD.match(text, start - 1):
        start += len(_word_rest(text, start))
    end = best_first + length
    end += len(_word_rest(text, end))
    return text[start:end].strip()
