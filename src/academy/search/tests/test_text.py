"""The passage of a long text that highlighting looks at (text.excerpt)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from academy.search.text import EXCERPT_LENGTH, excerpt

FILLER = " ".join(["Plan each scene before filming it, then trim the pauses."] * 12)


def test_a_short_text_is_kept_whole() -> None:
    assert excerpt("Hooks win the first second.", ["hook"]) == "Hooks win the first second."


def test_no_word_like_the_stems_means_no_passage() -> None:
    assert excerpt(FILLER, ["hook"]) is None
    assert excerpt(FILLER, []) is None


def test_the_passage_holds_the_most_distinct_stems_in_whole_words() -> None:
    text = f"{FILLER} A hook alone. {FILLER} Retention after a strong hook is the goal. {FILLER}"
    passage = excerpt(text, ["hook", "retent"])
    assert passage is not None
    assert "Retention after a strong hook" in passage
    assert len(passage) <= EXCERPT_LENGTH + len("pauses.")
    assert text.find(passage) > 0
    first, last = passage.split()[0], passage.split()[-1]
    assert first in text.split()
    assert last in text.split()


def test_accents_and_case_are_ignored_and_typed_words_break_ties() -> None:
    text = f"{FILLER} Temperatura não importa. {FILLER} O tema do vídeo vem primeiro. {FILLER}"
    # The Portuguese stem of "tema" is "tem": both words look like it; the typed one wins.
    passage = excerpt(text, ["tem"], ["tema"])
    assert passage is not None
    assert "O tema do vídeo" in passage
    assert "Colaboración" in (excerpt(f"{FILLER} Colaboración. {FILLER}", ["colaboracion"]) or "")


@given(
    st.text(alphabet=st.sampled_from("abcé hook,."), max_size=600),
    st.lists(st.sampled_from(["hook", "abc", "é", "zz"]), max_size=3),
)
def test_a_passage_is_a_bounded_piece_of_the_text(text: str, stems: list[str]) -> None:
    passage = excerpt(text, stems)
    if passage is not None:
        assert passage in text
        assert len(passage) <= max(len(text), EXCERPT_LENGTH + 600)
        if len(text) > EXCERPT_LENGTH:
            longest = max((len(word) for word in text.split()), default=0)
            assert len(passage) <= EXCERPT_LENGTH + longest
