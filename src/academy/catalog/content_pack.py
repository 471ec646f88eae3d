"""Read and validate a content pack (docs/CONTENT.md) into plain dataclasses.

Django-free on purpose: it runs in `academy content validate`, in the loader, and in tests, and
it reports every problem of a pack at once with the file it is in.
"""

from __future__ import annotations

import re
import sys
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import frontmatter
import yaml

DEFAULT_PACK = Path(__file__).resolve().parent / "content"
LANGUAGES = ("en", "es", "pt-br")
TOPICS = (
    "getting-started",
    "creation-essentials",
    "content-strategy",
    "growth-analytics",
    "live",
    "monetisation",
    "community-safety",
    "brand-partnerships",
    "commerce",
    "wellbeing",
)
LEVELS = ("beginner", "intermediate", "advanced")
LESSON_KINDS = ("video", "article", "quiz", "live")
WIKI_CATEGORIES = ("glossary", "how-to", "policies", "tools", "troubleshooting")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HASHTAG = re.compile(r"^[^\s#]+$")
LESSON_FILE = re.compile(
    r"^(?P<order>\d{2})-(?P<slug>[a-z0-9-]+?)(?:\.(?P<lang>es|pt-br|en))?\.md$"
)
WIKI_FILE = re.compile(r"^(?P<slug>[a-z0-9-]+?)(?:\.(?P<lang>es|pt-br|en))?\.md$")
INTERNAL_LINK = re.compile(r"\]\((?P<scheme>wiki|lesson):(?P<target>[^)\s]+)\)")


class PackError(ValueError):
    """A content pack has problems; ``problems`` lists each with its file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class QuestionText:
    prompt: str
    choices: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class Question:
    text: QuestionText
    correct: frozenset[int]


@dataclass
class LessonSpec:
    course_slug: str
    slug: str
    order: int
    kind: str
    language: str
    title: str
    summary: str
    body: str
    hashtags: tuple[str, ...]
    source: Path
    video_url: str = ""
    duration_seconds: int | None = None
    reading_minutes: int | None = None
    pass_mark: float = 0.7
    questions: tuple[Question, ...] = ()
    starts_at: datetime | None = None
    timezone: str = ""
    duration_minutes: int | None = None
    capacity: int | None = None
    join_url: str = ""
    recording_url: str = ""
    translations: dict[str, LessonTranslationSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class LessonTranslationSpec:
    language: str
    title: str
    summary: str
    body: str
    questions: tuple[QuestionText, ...]
    source: Path


@dataclass(frozen=True)
class TextSpec:
    title: str
    summary: str


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str
    topic: str
    level: str
    language: str
    hashtags: tuple[str, ...]
    regions: tuple[str, ...]
    editorial_pick: bool
    translations: dict[str, TextSpec]
    lessons: list[LessonSpec]
    source: Path


@dataclass(frozen=True)
class WikiTranslationSpec:
    language: str
    title: str
    summary: str
    body: str
    source: Path


@dataclass
class WikiSpec:
    slug: str
    title: str
    summary: str
    category: str
    topic: str
    language: str
    owner: str
    last_reviewed: date | None
    hashtags: tuple[str, ...]
    body: str
    source: Path
    translations: dict[str, WikiTranslationSpec] = field(default_factory=dict)


@dataclass
class ContentPack:
    courses: list[CourseSpec]
    wiki: list[WikiSpec]

    @property
    def lessons(self) -> list[LessonSpec]:
        return [lesson for course in self.courses for lesson in course.lessons]


class _Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[str] = []

    def where(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(f"{self.where(path)}: {message}")

    def text(self, path: Path, data: dict[str, Any], key: str, *, required: bool = True) -> str:
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(path, f"'{key}' must be text")
            return ""
        if required and not value.strip():
            self.fail(path, f"'{key}' is required")
        return value.strip()

    def choice(self, path: Path, data: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
        value = str(data.get(key, ""))
        if value not in allowed:
            self.fail(path, f"'{key}' must be one of {', '.join(allowed)}; got {value!r}")
        return value

    def integer(
        self, path: Path, data: dict[str, Any], key: str, low: int, high: int
    ) -> int | None:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.fail(path, f"'{key}' must be a whole number from {low} to {high}")
            return None
        return value

    def hashtags(self, path: Path, data: dict[str, Any]) -> tuple[str, ...]:
        raw = data.get("hashtags", []) or []
        if not isinstance(raw, list) or not all(isinstance(tag, str) for tag in raw):
            self.fail(path, "'hashtags' must be a list of words")
            return ()
        tags = tuple(tag.strip().lstrip("#").casefold() for tag in raw)
        for tag in tags:
            if not tag or not HASHTAG.match(tag):
                self.fail(path, f"hashtag {tag!r} must be one word without spaces")
        return tags

    def url(self, path: Path, data: dict[str, Any], key: str, *, required: bool) -> str:
        value = self.text(path, data, key, required=required)
        if value and not value.startswith("https://"):
            self.fail(path, f"'{key}' must be an https:// URL")
        return value

    def question_texts(
        self, path: Path, raw: Any, *, with_answers: bool
    ) -> list[tuple[QuestionText, frozenset[int]]]:
        if not isinstance(raw, list) or not raw:
            self.fail(path, "'questions' must be a non-empty list")
            return []
        result: list[tuple[QuestionText, frozenset[int]]] = []
        for number, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                self.fail(path, f"question {number} must be a mapping")
                continue
            prompt = self.text(path, item, "prompt")
            explanation = self.text(path, item, "explanation")
            choices = item.get("choices")
            if not isinstance(choices, list) or len(choices) < 2:
                self.fail(path, f"question {number} needs at least two choices")
                choices = []
            choice_texts = tuple(str(choice).strip() for choice in choices)
            correct: frozenset[int] = frozenset()
            if with_answers:
                answers = item.get("answers", [item["answer"]] if "answer" in item else [])
                if not isinstance(answers, list) or not answers:
                    self.fail(path, f"question {number} has no correct answer")
                    answers = []
                valid = [
                    index
                    for index in answers
                    if isinstance(index, int) and 0 <= index < len(choice_texts)
                ]
                if len(valid) != len(answers):
                    self.fail(path, f"question {number} has an answer that is not a choice index")
                correct = frozenset(valid)
            result.append((QuestionText(prompt, choice_texts, explanation), correct))
        return result


def _read(checker: _Checker, path: Path) -> tuple[dict[str, Any], str]:
    try:
        post = frontmatter.load(str(path))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        checker.fail(
            path, f"the front matter is not valid YAML{where}: {getattr(error, 'problem', error)}"
        )
        return {}, ""
    return dict(post.metadata), post.content.strip()


def _course(checker: _Checker, folder: Path) -> CourseSpec | None:
    course_file = folder / "course.yaml"
    if not SLUG.match(folder.name):
        checker.fail(folder, "the folder name is not a valid slug")
    if not course_file.exists():
        checker.fail(folder, "has no course.yaml")
        return None
    try:
        data = yaml.safe_load(course_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        checker.fail(course_file, f"is not valid YAML: {error}")
        return None
    translations: dict[str, TextSpec] = {}
    for language, text in (data.get("translations") or {}).items():
        if language not in LANGUAGES:
            checker.fail(course_file, f"unknown translation language {language!r}")
            continue
        text = text or {}
        translations[language] = TextSpec(
            title=checker.text(course_file, text, "title"),
            summary=checker.text(course_file, text, "summary"),
        )
    course = CourseSpec(
        slug=folder.name,
        title=checker.text(course_file, data, "title"),
        summary=checker.text(course_file, data, "summary"),
        topic=checker.choice(course_file, data, "topic", TOPICS),
        level=checker.choice(course_file, data, "level", LEVELS),
        language=checker.choice(course_file, data, "language", LANGUAGES),
        hashtags=checker.hashtags(course_file, data),
        regions=tuple(str(region).upper() for region in data.get("regions") or []),
        editorial_pick=bool(data.get("editorial_pick", False)),
        translations=translations,
        lessons=[],
        source=course_file,
    )
    originals: dict[str, LessonSpec] = {}
    translation_files: list[tuple[Path, str, str]] = []
    for path in sorted(folder.glob("*.md")):
        match = LESSON_FILE.match(path.name)
        if match is None:
            checker.fail(path, "lesson files are named NN-slug.md or NN-slug.<lang>.md")
            continue
        if match["lang"]:
            translation_files.append((path, match["slug"], match["lang"]))
            continue
        lesson = _lesson(checker, path, course, match["slug"], int(match["order"]))
        if lesson.slug in originals:
            checker.fail(path, f"a second lesson with the slug {lesson.slug!r}")
        originals[lesson.slug] = lesson
        course.lessons.append(lesson)
    for path, slug, language in translation_files:
        original = originals.get(slug)
        if original is None:
            checker.fail(path, f"translates a lesson that does not exist: {slug!r}")
            continue
        data, body = _read(checker, path)
        questions: tuple[QuestionText, ...] = ()
        if original.kind == "quiz":
            texts = checker.question_texts(path, data.get("questions"), with_answers=False)
            questions = tuple(text for text, _correct in texts)
            if len(questions) != len(original.questions):
                checker.fail(path, "must translate every question of the original, in order")
            for number, (text, source) in enumerate(
                zip(questions, original.questions, strict=False), start=1
            ):
                if len(text.choices) != len(source.text.choices):
                    checker.fail(
                        path, f"question {number} must have as many choices as the original"
                    )
        original.translations[language] = LessonTranslationSpec(
            language=language,
            title=checker.text(path, data, "title"),
            summary=checker.text(path, data, "summary"),
            body=body,
            questions=questions,
            source=path,
        )
    orders = [lesson.order for lesson in course.lessons]
    if len(set(orders)) != len(orders):
        checker.fail(folder, "two lessons share an order number")
    if not course.lessons:
        checker.fail(folder, "has no lessons")
    course.lessons.sort(key=lambda lesson: lesson.order)
    return course


def _lesson(checker: _Checker, path: Path, course: CourseSpec, slug: str, order: int) -> LessonSpec:
    data, body = _read(checker, path)
    kind = checker.choice(path, data, "kind", LESSON_KINDS)
    lesson = LessonSpec(
        course_slug=course.slug,
        slug=slug,
        order=order,
        kind=kind,
        language=course.language,
        title=checker.text(path, data, "title"),
        summary=checker.text(path, data, "summary"),
        body=body,
        hashtags=checker.hashtags(path, data),
        source=path,
    )
    if not body:
        checker.fail(path, "has no body")
    if kind == "video":
        lesson.video_url = checker.url(path, data, "video_url", required=True)
        lesson.duration_seconds = checker.integer(path, data, "duration_seconds", 30, 600)
    elif kind == "article":
        lesson.reading_minutes = checker.integer(path, data, "reading_minutes", 1, 30)
    elif kind == "quiz":
        lesson.pass_mark = float(data.get("pass_mark", 0.7))
        if not 0 < lesson.pass_mark <= 1:
            checker.fail(path, "'pass_mark' must be above 0 and at most 1")
        lesson.questions = tuple(
            Question(text, correct)
            for text, correct in checker.question_texts(
                path, data.get("questions"), with_answers=True
            )
        )
    elif kind == "live":
        starts_at = data.get("starts_at")
        if isinstance(starts_at, str):
            try:
                starts_at = datetime.fromisoformat(starts_at)
            except ValueError:
                starts_at = None
        if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
            checker.fail(path, "'starts_at' must be an ISO 8601 time with a UTC offset")
        else:
            lesson.starts_at = starts_at
        lesson.timezone = checker.text(path, data, "timezone")
        if lesson.timezone and lesson.timezone not in zoneinfo.available_timezones():
            checker.fail(path, f"unknown time zone {lesson.timezone!r}")
        lesson.duration_minutes = checker.integer(path, data, "duration_minutes", 10, 240)
        lesson.capacity = checker.integer(path, data, "capacity", 1, 100_000)
        lesson.join_url = checker.url(path, data, "join_url", required=True)
        lesson.recording_url = checker.url(path, data, "recording_url", required=False)
    return lesson


def _wiki(checker: _Checker, folder: Path) -> list[WikiSpec]:
    articles: dict[str, WikiSpec] = {}
    translations: list[tuple[Path, str, str]] = []
    for path in sorted(folder.glob("*.md")):
        match = WIKI_FILE.match(path.name)
        if match is None or not SLUG.match(match["slug"]):
            checker.fail(path, "wiki files are named slug.md or slug.<lang>.md")
            continue
        if match["lang"]:
            translations.append((path, match["slug"], match["lang"]))
            continue
        data, body = _read(checker, path)
        reviewed = data.get("last_reviewed")
        if reviewed is not None and not isinstance(reviewed, date):
            checker.fail(path, "'last_reviewed' must be a date (YYYY-MM-DD)")
            reviewed = None
        if not body:
            checker.fail(path, "has no body")
        articles[match["slug"]] = WikiSpec(
            slug=match["slug"],
            title=checker.text(path, data, "title"),
            summary=checker.text(path, data, "summary"),
            category=checker.choice(path, data, "category", WIKI_CATEGORIES),
            topic=checker.choice(path, data, "topic", TOPICS),
            language=checker.choice(path, data, "language", LANGUAGES),
            owner=checker.text(path, data, "owner"),
            last_reviewed=reviewed,
            hashtags=checker.hashtags(path, data),
            body=body,
            source=path,
        )
    for path, slug, language in translations:
        original = articles.get(slug)
        if original is None:
            checker.fail(path, f"translates an article that does not exist: {slug!r}")
            continue
        data, body = _read(checker, path)
        original.translations[language] = WikiTranslationSpec(
            language=language,
            title=checker.text(path, data, "title"),
            summary=checker.text(path, data, "summary"),
            body=body,
            source=path,
        )
    return sorted(articles.values(), key=lambda article: article.slug)


def _check_links(checker: _Checker, pack: ContentPack) -> None:
    wiki_slugs = {article.slug for article in pack.wiki}
    lesson_keys = {f"{lesson.course_slug}/{lesson.slug}" for lesson in pack.lessons}
    bodies: list[tuple[Path, str]] = []
    for article in pack.wiki:
        bodies.append((article.source, article.body))
        bodies.extend((t.source, t.body) for t in article.translations.values())
    for lesson in pack.lessons:
        bodies.append((lesson.source, lesson.body))
        bodies.extend((t.source, t.body) for t in lesson.translations.values())
    for path, body in bodies:
        for match in INTERNAL_LINK.finditer(body):
            target = match["target"]
            known = wiki_slugs if match["scheme"] == "wiki" else lesson_keys
            if target not in known:
                checker.fail(path, f"links to an unknown {match['scheme']}: {target!r}")


def load_pack(root: Path = DEFAULT_PACK) -> ContentPack:
    """Read and validate the pack at ``root``; raise PackError listing every problem."""
    checker = _Checker(root)
    courses = (
        [
            course
            for folder in sorted((root / "courses").iterdir())
            if folder.is_dir() and (course := _course(checker, folder)) is not None
        ]
        if (root / "courses").is_dir()
        else []
    )
    wiki = _wiki(checker, root / "wiki") if (root / "wiki").is_dir() else []
    pack = ContentPack(courses=courses, wiki=wiki)
    _check_links(checker, pack)
    if checker.problems:
        raise PackError(checker.problems)
    return pack


def describe(pack: ContentPack) -> str:
    kinds: dict[str, int] = {}
    for lesson in pack.lessons:
        kinds[lesson.kind] = kinds.get(lesson.kind, 0) + 1
    translated = {
        language: sum(1 for lesson in pack.lessons if language in lesson.translations)
        + sum(1 for article in pack.wiki if language in article.translations)
        for language in ("es", "pt-br")
    }
    return (
        f"{len(pack.courses)} courses, {len(pack.lessons)} lessons "
        f"({', '.join(f'{count} {kind}' for kind, count in sorted(kinds.items()))}), "
        f"{len(pack.wiki)} wiki articles; translated lessons+articles: "
        f"es {translated['es']}, pt-br {translated['pt-br']}"
    )


if __name__ == "__main__":
    # `python -m academy.catalog.content_pack [PATH]`: validate a pack and summarise it.
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PACK
    try:
        loaded = load_pack(target)
    except PackError as error:
        sys.stderr.write("\n".join(error.problems) + "\n")
        sys.exit(1)
    sys.stdout.write(describe(loaded) + "\n")
