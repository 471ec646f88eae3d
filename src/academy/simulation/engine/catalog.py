"""The catalogue as the simulator sees it: items as arrays, their hashtags and search vocabulary.

The Django side describes each published item as an ``ItemSpec`` (``simulation.selectors``);
tests and benchmarks can make a synthetic catalogue of any size with ``synthetic_catalog``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from academy.simulation.engine.assumptions import FORMATS, LEVELS, TOPIC_DEMAND_ORDER
from academy.simulation.engine.parameters import Parameters

NO_LEVEL = len(LEVELS)  # the level column of items without one (wiki articles)
LESSON_FORMATS = frozenset({"video", "article", "quiz", "live"})


@dataclass(frozen=True)
class ItemSpec:
    """One published item. ``item_kind`` and ``item_id`` are what events carry."""

    item_kind: str  # course | lesson | wiki
    item_id: str  # a course's or article's slug, a lesson's id
    format: str  # one of FORMATS
    topic: str
    level: str = ""  # "" for wiki articles
    languages: tuple[str, ...] = ("en",)  # published language versions
    duration_seconds: int = 300
    hashtags: tuple[str, ...] = ()
    words: tuple[tuple[str, str], ...] = ()  # (language, word) of titles, for search queries
    course: str = ""  # a lesson's course (its item_id)
    position: int = 0  # a lesson's place in its course
    questions: int = 0  # a quiz's question count
    pass_mark: float = 0.7
    ref: int = 0  # the database id the Django side maps rows back to


@dataclass(frozen=True)
class Catalog:
    items: tuple[ItemSpec, ...]
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    format_code: npt.NDArray[np.int64]
    topic_code: npt.NDArray[np.int64]
    level_code: npt.NDArray[np.int64]  # NO_LEVEL for items without one
    language_mask: npt.NDArray[np.int64]  # bit i: published in languages[i]
    duration: npt.NDArray[np.float64]
    questions: npt.NDArray[np.int64]
    pass_mark: npt.NDArray[np.float64]
    course_of: npt.NDArray[np.int64]  # a lesson's course item, or -1
    next_lesson: npt.NDArray[np.int64]  # the following lesson of the same course, or -1
    first_lesson: npt.NDArray[np.int64]  # a course's first lesson, or -1
    lesson_count: npt.NDArray[np.int64]  # a course's lessons
    course_lessons: npt.NDArray[np.int64]  # (items, longest course): a course's lessons, -1 pads
    hashtags: tuple[str, ...]
    hashtag_items: npt.NDArray[np.bool_]  # (hashtags, items)
    hashtag_topic: npt.NDArray[np.int64]  # the topic most of a hashtag's items have
    terms: tuple[str, ...]
    term_language: npt.NDArray[np.int64]  # index into languages, -1 for any (hashtags)
    term_items: npt.NDArray[np.bool_]  # (terms, items)
    term_topic: npt.NDArray[np.int64]

    @property
    def size(self) -> int:
        return len(self.items)

    def is_lesson(self) -> npt.NDArray[np.bool_]:
        return self.course_of >= 0


def _majority_topic(
    membership: npt.NDArray[np.bool_], topic_code: npt.NDArray[np.int64], topics: int
) -> npt.NDArray[np.int64]:
    counts = membership.astype(np.int64) @ np.eye(topics, dtype=np.int64)[topic_code]
    return np.asarray(counts.argmax(axis=1), dtype=np.int64)


def catalog_build(items: Sequence[ItemSpec], *, languages: Sequence[str]) -> Catalog:
    """Index the items; raise ValueError for an item the simulator cannot use."""
    if not items:
        raise ValueError("The catalogue is empty: publish or load content first.")
    languages = tuple(languages)
    known_topics = [topic for topic in TOPIC_DEMAND_ORDER if any(i.topic == topic for i in items)]
    topics = tuple(known_topics + sorted({i.topic for i in items} - set(known_topics)))
    for item in items:
        if item.format not in FORMATS:
            raise ValueError(f"{item.item_kind} {item.item_id}: unknown format {item.format!r}.")
        if item.level and item.level not in LEVELS:
            raise ValueError(f"{item.item_kind} {item.item_id}: unknown level {item.level!r}.")
    index = {(item.item_kind, item.item_id): n for n, item in enumerate(items)}
    size = len(items)
    course_of = np.full(size, -1, dtype=np.int64)
    next_lesson = np.full(size, -1, dtype=np.int64)
    first_lesson = np.full(size, -1, dtype=np.int64)
    lesson_count = np.zeros(size, dtype=np.int64)
    by_course: dict[int, list[int]] = {}
    for n, item in enumerate(items):
        if item.format in LESSON_FORMATS and ("course", item.course) in index:
            course_of[n] = index[("course", item.course)]
            by_course.setdefault(int(course_of[n]), []).append(n)
    longest = max((len(lessons) for lessons in by_course.values()), default=0)
    course_lessons = np.full((size, longest), -1, dtype=np.int64)
    for course, lessons in by_course.items():
        ordered = sorted(lessons, key=lambda n: (items[n].position, items[n].item_id))
        first_lesson[course] = ordered[0]
        lesson_count[course] = len(ordered)
        course_lessons[course, : len(ordered)] = ordered
        for current, following in itertools.pairwise(ordered):
            next_lesson[current] = following
    topic_code = np.array([topics.index(item.topic) for item in items], dtype=np.int64)
    hashtags = tuple(sorted({tag for item in items for tag in item.hashtags}))
    hashtag_index = {tag: n for n, tag in enumerate(hashtags)}
    hashtag_items = np.zeros((len(hashtags), size), dtype=np.bool_)
    for n, item in enumerate(items):
        for tag in item.hashtags:
            hashtag_items[hashtag_index[tag], n] = True
    # Search terms: every hashtag (any language) and every title word (in its language).
    term_keys = [(-1, tag) for tag in hashtags] + sorted(
        {
            (languages.index(language), word)
            for item in items
            for language, word in item.words
            if language in languages and word not in hashtag_index
        }
    )
    term_index = {key: n for n, key in enumerate(term_keys)}
    term_items = np.zeros((len(term_keys), size), dtype=np.bool_)
    term_items[: len(hashtags)] = hashtag_items
    for n, item in enumerate(items):
        for language, word in item.words:
            key = (languages.index(language), word) if language in languages else None
            if key in term_index:
                term_items[term_index[key], n] = True
    return Catalog(
        items=tuple(items),
        languages=languages,
        topics=topics,
        format_code=np.array([FORMATS.index(item.format) for item in items], dtype=np.int64),
        topic_code=topic_code,
        level_code=np.array(
            [LEVELS.index(item.level) if item.level else NO_LEVEL for item in items],
            dtype=np.int64,
        ),
        language_mask=np.array(
            [
                sum(1 << languages.index(lang) for lang in set(item.languages) if lang in languages)
                for item in items
            ],
            dtype=np.int64,
        ),
        duration=np.array([max(item.duration_seconds, 1) for item in items], dtype=np.float64),
        questions=np.array([item.questions for item in items], dtype=np.int64),
        pass_mark=np.array([item.pass_mark for item in items], dtype=np.float64),
        course_of=course_of,
        next_lesson=next_lesson,
        first_lesson=first_lesson,
        lesson_count=lesson_count,
        course_lessons=course_lessons,
        hashtags=hashtags,
        hashtag_items=hashtag_items,
        hashtag_topic=_majority_topic(hashtag_items, topic_code, len(topics)),
        terms=tuple(word for _language, word in term_keys),
        term_language=np.array([language for language, _word in term_keys], dtype=np.int64),
        term_items=term_items,
        term_topic=_majority_topic(term_items, topic_code, len(topics)),
    )


def synthetic_catalog(
    *,
    parameters: Parameters,
    seed: int,
    courses: int = 12,
    lessons_per_course: int = 5,
    wiki: int = 40,
    languages: Sequence[str] = ("en", "es", "pt-br"),
) -> Catalog:
    """A made-up catalogue of any size, for tests and benchmarks without a database.

    Video lengths follow the fitted KuaiRand duration distribution; everything else is even.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(99,)))
    topics = TOPIC_DEMAND_ORDER
    items: list[ItemSpec] = []
    durations = np.clip(
        parameters.video_duration_seconds.sample(rng, courses * lessons_per_course), 15, 1800
    )

    def translations() -> tuple[str, ...]:
        return (languages[0], *(lang for lang in languages[1:] if rng.random() < 0.5))

    for c in range(courses):
        topic = topics[c % len(topics)]
        level = LEVELS[int(rng.integers(len(LEVELS)))]
        tags = (f"{topic}-{c % 3}", f"{topic}-tips")
        course_id = f"course-{c}"
        lesson_items = []
        for position in range(lessons_per_course):
            kind = str(rng.choice(["video", "video", "article", "quiz", "live"]))
            duration = {
                "video": int(durations[c * lessons_per_course + position]),
                "article": 60 * int(rng.integers(2, 9)),
                "quiz": 40 * 5,
                "live": 60 * 45,
            }[kind]
            langs = translations()
            lesson_items.append(
                ItemSpec(
                    item_kind="lesson",
                    item_id=str(1000 + c * lessons_per_course + position),
                    format=kind,
                    topic=topic,
                    level=level,
                    languages=langs,
                    duration_seconds=duration,
                    hashtags=tags[: 1 + position % 2],
                    words=tuple((lang, f"{topic}-word{position}") for lang in langs),
                    course=course_id,
                    position=position + 1,
                    questions=5 if kind == "quiz" else 0,
                    pass_mark=0.6,
                )
            )
        items.append(
            ItemSpec(
                item_kind="course",
                item_id=course_id,
                format="course",
                topic=topic,
                level=level,
                languages=(languages[0],),
                duration_seconds=sum(item.duration_seconds for item in lesson_items),
                hashtags=tags,
                words=((languages[0], f"{topic}-course"),),
            )
        )
        items.extend(lesson_items)
    for w in range(wiki):
        topic = topics[w % len(topics)]
        langs = translations()
        items.append(
            ItemSpec(
                item_kind="wiki",
                item_id=f"wiki-{w}",
                format="wiki",
                topic=topic,
                languages=langs,
                duration_seconds=60 * int(rng.integers(1, 6)),
                hashtags=(f"{topic}-tips",),
                words=tuple((lang, f"{topic}-wiki{w % 4}") for lang in langs),
            )
        )
    return catalog_build(items, languages=languages)
