"""Studio forms: they parse and present editors' input; the rules live in catalog services."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from academy.accounts.choices import Region
from academy.accounts.forms import ServiceErrorsMixin, time_zone_names
from academy.accounts.models import User
from academy.catalog.choices import (
    LessonKind,
    Level,
    PublishStatus,
    TranslationStatus,
    WikiCategory,
)
from academy.catalog.models import Topic
from academy.catalog.selectors import (
    STUDIO_TYPES,
    QuestionPair,
    QuestionView,
    StudioLesson,
    StudioRow,
    studio_editors,
    topics,
)
from academy.catalog.services import QuestionInput, QuestionTextInput
from academy.core.errors import AcademyError

SLUG_HELP = _("Lowercase letters, digits and hyphens; it becomes the address and cannot change.")
slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", _("Use lowercase letters, digits and single hyphens only.")
)


def language_choices() -> list[tuple[str, str]]:
    # Each language in its own name, as in the footer's switcher.
    return [(code, str(get_language_info(code)["name_local"])) for code, _n in settings.LANGUAGES]


def split_hashtags(raw: str) -> list[str]:
    return [tag.strip() for tag in raw.replace("\n", ",").split(",") if tag.strip()]


# ModelChoiceField is generic only in the type stubs, not at run time.
if TYPE_CHECKING:
    _TopicField = forms.ModelChoiceField[Topic]
    _UserField = forms.ModelChoiceField[User]
else:
    _TopicField = _UserField = forms.ModelChoiceField


class TopicChoiceField(_TopicField):
    def label_from_instance(self, obj: Topic) -> str:
        return obj.name_in(get_language() or "en")


class OwnerChoiceField(_UserField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name or obj.username} ({obj.email})"


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read as a wall-clock time (naive); a time zone field beside
    it says where that wall clock hangs."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        return timezone.make_naive(parsed) if parsed is not None else None


def time_zone_field(*, label: Any, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=required,
        choices=[(name, name.replace("_", " ")) for name in time_zone_names()],
    )


def aware(wall_time: datetime, zone: str) -> datetime:
    return wall_time.replace(tzinfo=zoneinfo.ZoneInfo(zone))


def wall_time(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------
# The dashboard's filters


class ContentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *PublishStatus.choices]
    )
    type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[
            ("", _("Everything")),
            ("course", _("Courses")),
            ("lesson", _("Lessons")),
            ("wiki", _("Wiki articles")),
        ],
    )
    language = forms.ChoiceField(label=_("Has a version in"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Any language")), *language_choices()]
        topic = self.fields["topic"]
        assert isinstance(topic, forms.ChoiceField)
        current = get_language() or "en"
        topic.choices = [
            ("", _("Any topic")),
            *((item.slug, item.name_in(current)) for item in topics()),
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for selectors.studio_content."""
        data = self.cleaned_data
        return {
            "status": data.get("status") or None,
            "item_type": data.get("type") if data.get("type") in STUDIO_TYPES else None,
            "language": data.get("language") or None,
            "topic": data.get("topic") or None,
        }


# ---------------------------------------------------------------------------------------------
# Courses


class CourseForm(ServiceErrorsMixin):
    slug = forms.CharField(
        label=_("Address (slug)"),
        max_length=80,
        validators=[slug_validator],
        help_text=SLUG_HELP,
    )
    title = forms.CharField(label=_("Title"), max_length=160)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences on the card: what creators can do after it."),
    )
    topic = TopicChoiceField(label=_("Topic"), queryset=Topic.objects.all(), to_field_name="slug")
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    language = forms.ChoiceField(
        label=_("Original language"), help_text=_("The language it is written in first.")
    )
    hashtags = forms.CharField(
        label=_("Hashtags"),
        required=False,
        help_text=_("Separated by commas, with or without #: hooks, editing"),
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions"),
        required=False,
        choices=[choice for choice in Region.choices if choice[0] != Region.OTHER],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for everywhere."),
    )
    editorial_pick = forms.BooleanField(
        label=_("Editorial pick (featured in feeds)"), required=False
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = language_choices()
        if editing:
            # The address and original language are fixed once links and translations exist.
            for name in ("slug", "language"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed once the course exists.")

    def hashtag_list(self) -> list[str]:
        return split_hashtags(self.cleaned_data["hashtags"])


class ReorderForm(ServiceErrorsMixin):
    """One position box per lesson: type the place each lesson should take."""

    def __init__(self, *args: Any, lessons: Sequence[StudioRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = list(lessons)
        for position, row in enumerate(self.rows, start=1):
            self.fields[f"position_{row.item.pk}"] = forms.IntegerField(
                label=_("Position of “%(title)s”") % {"title": row.title},
                min_value=1,
                initial=position,
                widget=forms.NumberInput(attrs={"class": "position-input"}),
            )

    def entries(self) -> list[tuple[StudioRow, forms.BoundField]]:
        """Each lesson with its position box, in the current order."""
        return [(row, self[f"position_{row.item.pk}"]) for row in self.rows]

    def positions(self) -> dict[int, int]:
        return {row.item.pk: self.cleaned_data[f"position_{row.item.pk}"] for row in self.rows}


# ---------------------------------------------------------------------------------------------
# Quizzes as text: one block per question


QUIZ_FORMAT_HELP = _(
    "One block per question. “Q:” starts a question, “-” is a wrong choice, “*” a correct "
    "choice (mark one or more), “E:” the explanation shown after answering. Blank lines "
    "between questions are optional."
)


@dataclass
class _Draft:
    line: int
    prompt: str
    choices: list[str]
    correct: list[int]
    explanation: str = ""


def parse_questions(text: str) -> list[QuestionInput]:
    """Parse the quiz text format; every mistake is reported with its line number."""
    errors: list[str] = []
    drafts: list[_Draft] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        marker, rest = line[:2].upper(), line[2:].strip()
        if marker == "Q:":
            if not rest:
                errors.append(str(_("Line %(n)d: the question is empty.") % {"n": number}))
            drafts.append(_Draft(number, rest, [], []))
        elif line[0] in "-*":
            choice = line[1:].strip()
            if not drafts:
                errors.append(
                    str(_("Line %(n)d: a choice must follow a question (Q: …).") % {"n": number})
                )
            elif not choice:
                errors.append(str(_("Line %(n)d: the choice is empty.") % {"n": number}))
            else:
                if line[0] == "*":
                    drafts[-1].correct.append(len(drafts[-1].choices))
                drafts[-1].choices.append(choice)
        elif marker == "E:":
            if not drafts:
                errors.append(
                    str(
                        _("Line %(n)d: an explanation must follow a question (Q: …).")
                        % {"n": number}
                    )
                )
            elif drafts[-1].explanation:
                errors.append(
                    str(_("Line %(n)d: this question already has an explanation.") % {"n": number})
                )
            else:
                drafts[-1].explanation = rest
        else:
            errors.append(
                str(
                    _("Line %(n)d: start the line with “Q:”, “-”, “*” or “E:”, or leave it blank.")
                    % {"n": number}
                )
            )
    for position, draft in enumerate(drafts, start=1):
        if len(draft.choices) < 2:
            errors.append(
                str(
                    _("Question %(q)d (line %(n)d) needs at least two choices.")
                    % {"q": position, "n": draft.line}
                )
            )
    if errors:
        raise forms.ValidationError(errors)
    return [QuestionInput(d.prompt, d.choices, d.correct, d.explanation) for d in drafts]


def format_questions(questions: Sequence[QuestionView]) -> str:
    blocks = []
    for question in questions:
        lines = [f"Q: {' '.join(question.prompt.split())}"]
        lines.extend(
            f"{'*' if index in question.correct else '-'} {' '.join(choice.split())}"
            for index, choice in enumerate(question.choices)
        )
        if question.explanation:
            lines.append(f"E: {' '.join(question.explanation.split())}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# ---------------------------------------------------------------------------------------------
# Lessons, one form per kind


class LessonForm(ServiceErrorsMixin):
    kind: ClassVar[str] = ""
    body_label: ClassVar[Any] = _("Body (Markdown)")
    body_help: ClassVar[Any] = _(
        "Markdown. Link to the wiki with [text](wiki:article-slug) and to a lesson with "
        "[text](lesson:course-slug/lesson-slug)."
    )
    body_required: ClassVar[bool] = False

    slug = forms.CharField(
        label=_("Address (slug)"),
        max_length=80,
        validators=[slug_validator],
        help_text=SLUG_HELP,
    )
    title = forms.CharField(label=_("Title"), max_length=160)
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    hashtags = forms.CharField(
        label=_("Hashtags"), required=False, help_text=_("Separated by commas, with or without #.")
    )
    body = forms.CharField(label=_("Body"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        body = self.fields["body"]
        body.label = self.body_label
        body.help_text = self.body_help
        body.required = self.body_required
        body.widget.attrs.update({"rows": 12, "class": "mono"})
        if editing:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("Fixed once the lesson exists.")

    @classmethod
    def initial_from(cls, lesson: StudioLesson) -> dict[str, Any]:
        return {
            "slug": lesson.lesson.slug,
            "title": lesson.title,
            "summary": lesson.summary,
            "hashtags": ", ".join(lesson.hashtags),
            "body": lesson.body,
        }

    def hashtag_list(self) -> list[str]:
        return split_hashtags(self.cleaned_data["hashtags"])

    def details(self) -> dict[str, object]:
        """The kind-specific lesson fields, as lesson_create / lesson_update take them."""
        return {}

    def questions(self) -> list[QuestionInput] | None:
        return None


class VideoLessonForm(LessonForm):
    kind = LessonKind.VIDEO
    body_label = _("Transcript")
    body_help = _("What the video says, as readable text (Markdown). Search indexes it.")

    video_url = forms.URLField(label=_("Video URL"), assume_scheme="https")
    duration_seconds = forms.IntegerField(
        label=_("Duration (seconds)"),
        min_value=1,
        max_value=3600,
        help_text=_("Short videos run 30 to 600 seconds."),
    )

    field_order = ["slug", "title", "summary", "video_url", "duration_seconds", "body", "hashtags"]

    @classmethod
    def initial_from(cls, lesson: StudioLesson) -> dict[str, Any]:
        item = lesson.lesson
        return {
            **super().initial_from(lesson),
            "video_url": item.video_url,
            "duration_seconds": item.duration_seconds,
        }

    def details(self) -> dict[str, object]:
        return {
            "video_url": self.cleaned_data["video_url"],
            "duration_seconds": self.cleaned_data["duration_seconds"],
        }


class ArticleLessonForm(LessonForm):
    kind = LessonKind.ARTICLE
    body_label = _("Article (Markdown)")
    body_required = True

    reading_minutes = forms.IntegerField(
        label=_("Reading time (minutes)"), min_value=1, max_value=120
    )

    field_order = ["slug", "title", "summary", "body", "reading_minutes", "hashtags"]

    @classmethod
    def initial_from(cls, lesson: StudioLesson) -> dict[str, Any]:
        return {**super().initial_from(lesson), "reading_minutes": lesson.lesson.reading_minutes}

    def details(self) -> dict[str, object]:
        return {"reading_minutes": self.cleaned_data["reading_minutes"]}


class QuizLessonForm(LessonForm):
    kind = LessonKind.QUIZ
    body_label = _("Introduction (Markdown)")
    body_help = _("A sentence or two shown before the questions.")

    pass_mark = forms.IntegerField(
        label=_("Pass mark (percentage of correct answers)"), min_value=1, max_value=100, initial=70
    )
    questions_text = forms.CharField(
        label=_("Questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "mono"}),
        help_text=QUIZ_FORMAT_HELP,
    )

    field_order = ["slug", "title", "summary", "body", "questions_text", "pass_mark", "hashtags"]

    @classmethod
    def initial_from(cls, lesson: StudioLesson) -> dict[str, Any]:
        return {
            **super().initial_from(lesson),
            "pass_mark": round(lesson.lesson.pass_mark * 100),
            "questions_text": format_questions(lesson.questions),
        }

    def clean_questions_text(self) -> str:
        text: str = self.cleaned_data["questions_text"]
        self.parsed_questions = parse_questions(text)
        return text

    def details(self) -> dict[str, object]:
        return {"pass_mark": self.cleaned_data["pass_mark"] / 100}

    def questions(self) -> list[QuestionInput] | None:
        return self.parsed_questions


class LiveLessonForm(LessonForm):
    kind = LessonKind.LIVE
    body_label = _("What the class covers (Markdown)")
    body_help = _("What creators will learn and how to prepare.")

    starts_at = LocalDateTimeField(label=_("Starts at (local time)"))
    timezone = time_zone_field(label=_("Time zone of the start time"))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=600)
    capacity = forms.IntegerField(label=_("Capacity (seats)"), min_value=1)
    join_url = forms.URLField(label=_("Join link"), assume_scheme="https")
    recording_url = forms.URLField(
        label=_("Recording link"),
        required=False,
        assume_scheme="https",
        help_text=_("Add it once the class has taken place."),
    )

    field_order = [
        "slug", "title", "summary", "starts_at", "timezone", "duration_minutes", "capacity",
        "join_url", "recording_url", "body", "hashtags",
    ]  # fmt: skip

    @classmethod
    def initial_from(cls, lesson: StudioLesson) -> dict[str, Any]:
        item = lesson.lesson
        zone = item.timezone or "UTC"
        return {
            **super().initial_from(lesson),
            "starts_at": wall_time(item.starts_at, zone) if item.starts_at else None,
            "timezone": zone,
            "duration_minutes": item.duration_minutes,
            "capacity": item.capacity,
            "join_url": item.join_url,
            "recording_url": item.recording_url,
        }

    def details(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "starts_at": aware(data["starts_at"], data["timezone"]),
            "timezone": data["timezone"],
            "duration_minutes": data["duration_minutes"],
            "capacity": data["capacity"],
            "join_url": data["join_url"],
            "recording_url": data["recording_url"],
        }


LESSON_FORMS: dict[str, type[LessonForm]] = {
    form.kind: form for form in (VideoLessonForm, ArticleLessonForm, QuizLessonForm, LiveLessonForm)
}


# ---------------------------------------------------------------------------------------------
# Workflow


class WorkflowForm(ServiceErrorsMixin):
    ACTIONS: ClassVar[dict[str, Any]] = {
        "submit": _("Submit for review"),
        "send_back": _("Send back to draft"),
        "approve": _("Approve & publish now"),
        "schedule": _("Schedule"),
        "archive": _("Archive"),
        "restore": _("Restore"),
    }

    action = forms.ChoiceField(choices=list(ACTIONS.items()), widget=forms.HiddenInput)
    publish_at = LocalDateTimeField(label=_("Publish at (local time)"), required=False)
    timezone = time_zone_field(label=_("Time zone"), required=False)

    def add_service_error(self, error: AcademyError) -> None:
        # A refused transition explains itself in ``detail``; per-field messages only where the
        # page has that field (the publish time), so nothing is said twice.
        self.add_error(None, error.detail)
        for field, message in error.errors.items():
            if field in self.fields:
                self.add_error(field, message)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") != "schedule":
            return data
        if data.get("publish_at") is None:
            if "publish_at" not in self.errors:
                self.add_error("publish_at", _("Pick the date and time to publish at."))
        elif not data.get("timezone"):
            self.add_error("timezone", _("Pick the time zone of that time."))
        else:
            data["publish_at"] = aware(data["publish_at"], data["timezone"])
        return data


# ---------------------------------------------------------------------------------------------
# Translations


class TranslationStatusForm(ServiceErrorsMixin):
    status = forms.ChoiceField(label=_("Translation status"), choices=TranslationStatus.choices)


@dataclass(frozen=True)
class QuestionFields:
    """A quiz question's original beside the fields that translate it."""

    original: QuestionView
    prompt: forms.BoundField
    choices: list[tuple[str, forms.BoundField]]
    explanation: forms.BoundField


class TranslationForm(ServiceErrorsMixin):
    title = forms.CharField(label=_("Title"), max_length=160)
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
    )
    status = forms.ChoiceField(
        label=_("Translation status"),
        choices=TranslationStatus.choices,
        help_text=_("Creators see this language only once it is published."),
    )
    note = forms.CharField(
        label=_("What changed"), required=False, max_length=200, help_text=_("For the history.")
    )

    def __init__(
        self,
        *args: Any,
        has_body: bool = True,
        body_required: bool = False,
        has_note: bool = False,
        questions: Sequence[QuestionPair] = (),
        language: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not has_body:
            del self.fields["body"]
        else:
            self.fields["body"].required = body_required
        if not has_note:
            del self.fields["note"]
        self.pairs = list(questions)
        for number, pair in enumerate(self.pairs, start=1):
            self.fields[f"q{number}_prompt"] = forms.CharField(
                label=_("Question %(n)d: prompt") % {"n": number},
                initial=pair.prompt,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            for index, choice in enumerate(pair.choices, start=1):
                self.fields[f"q{number}_choice{index}"] = forms.CharField(
                    label=_("Question %(n)d: choice %(c)d") % {"n": number, "c": index},
                    initial=choice,
                )
            self.fields[f"q{number}_explanation"] = forms.CharField(
                label=_("Question %(n)d: explanation") % {"n": number},
                required=False,
                initial=pair.explanation,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

        # What an editor types here is in the target language: say so to spell checkers and
        # screen readers.
        for name, field in self.fields.items():
            if name not in {"status", "note"}:
                field.widget.attrs["lang"] = language

    def question_fields(self) -> list[QuestionFields]:
        rows = []
        for number, pair in enumerate(self.pairs, start=1):
            choices = [
                (original, self[f"q{number}_choice{index}"])
                for index, original in enumerate(pair.original.choices, start=1)
            ]
            rows.append(
                QuestionFields(
                    original=pair.original,
                    prompt=self[f"q{number}_prompt"],
                    choices=choices,
                    explanation=self[f"q{number}_explanation"],
                )
            )
        return rows

    def question_inputs(self) -> list[QuestionTextInput] | None:
        if not self.pairs:
            return None
        data = self.cleaned_data
        return [
            QuestionTextInput(
                prompt=data[f"q{number}_prompt"],
                choices=[
                    data[f"q{number}_choice{index}"]
                    for index in range(1, len(pair.original.choices) + 1)
                ],
                explanation=data[f"q{number}_explanation"],
            )
            for number, pair in enumerate(self.pairs, start=1)
        ]


# ---------------------------------------------------------------------------------------------
# Wiki


class WikiForm(ServiceErrorsMixin):
    slug = forms.CharField(
        label=_("Address (slug)"),
        max_length=80,
        validators=[slug_validator],
        help_text=SLUG_HELP,
    )
    title = forms.CharField(label=_("Title"), max_length=160)
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(
        label=_("Body (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 16, "class": "mono"}),
        help_text=LessonForm.body_help,
    )
    category = forms.ChoiceField(label=_("Category"), choices=WikiCategory.choices)
    topic = TopicChoiceField(label=_("Topic"), queryset=Topic.objects.all(), to_field_name="slug")
    language = forms.ChoiceField(label=_("Original language"))
    hashtags = forms.CharField(
        label=_("Hashtags"), required=False, help_text=_("Separated by commas, with or without #.")
    )
    owner = OwnerChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("The editor who keeps this article accurate."),
    )
    note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=200,
        help_text=_("A short note for the revision history."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = language_choices()
        owner = self.fields["owner"]
        assert isinstance(owner, OwnerChoiceField)
        owner.queryset = studio_editors()
        if editing:
            for name in ("slug", "language"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed once the article exists.")
        else:
            del self.fields["note"]

    def hashtag_list(self) -> list[str]:
        return split_hashtags(self.cleaned_data["hashtags"])


class RevisionPairForm(forms.Form):
    """Which two revisions to compare."""

    old = forms.IntegerField(label=_("From revision"), min_value=1)
    new = forms.IntegerField(label=_("To revision"), min_value=1)
