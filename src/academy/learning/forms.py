"""Forms of the learning pages: a quiz attempt and the weekly goal. Rules live in services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from academy.accounts.forms import ServiceErrorsMixin
from academy.catalog.selectors import QuestionView
from academy.learning.services import MAX_WEEKLY_GOAL, QuestionFeedback, QuizResult


def question_field_name(position: int) -> str:
    return f"q{position}"


class QuizForm(ServiceErrorsMixin):
    """One field per question: radio buttons, or checkboxes when several answers are right."""

    def __init__(self, *args: Any, questions: Sequence[QuestionView], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            choices = [(str(index), text) for index, text in enumerate(question.choices)]
            field: forms.Field
            if question.multiple:
                field = forms.TypedMultipleChoiceField(
                    label=question.prompt,
                    choices=choices,
                    coerce=int,
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={"required": _("Choose at least one answer.")},
                )
            else:
                field = forms.TypedChoiceField(
                    label=question.prompt,
                    choices=choices,
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Choose an answer.")},
                )
            self.fields[question_field_name(question.position)] = field

    def answers(self) -> dict[int, list[int]]:
        """Question position -> chosen choice indexes, as quiz_submit takes them."""
        chosen: dict[int, list[int]] = {}
        for question in self.questions:
            value = self.cleaned_data[question_field_name(question.position)]
            chosen[question.position] = list(value) if isinstance(value, list) else [value]
        return chosen


@dataclass(frozen=True)
class ChoiceRow:
    index: int
    text: str
    input_id: str
    checked: bool
    is_correct: bool  # only meaningful once the attempt is scored


@dataclass(frozen=True)
class QuestionBlock:
    """A question as the page draws it: the field, its choices and, once scored, the feedback."""

    question: QuestionView
    field: forms.BoundField
    choices: list[ChoiceRow]
    feedback: QuestionFeedback | None

    @property
    def correct_choices(self) -> list[str]:
        return [choice.text for choice in self.choices if choice.is_correct]


def quiz_blocks(form: QuizForm, result: QuizResult | None) -> list[QuestionBlock]:
    feedback = {item.position: item for item in result.feedback} if result else {}
    blocks = []
    for question in form.questions:
        field = form[question_field_name(question.position)]
        value = field.value() if form.is_bound else None
        selected = {str(item) for item in value} if isinstance(value, list) else {str(value)}
        choices = [
            ChoiceRow(
                index=index,
                text=text,
                input_id=f"{field.auto_id}_{index}",
                checked=form.is_bound and str(index) in selected,
                is_correct=index in question.correct,
            )
            for index, text in enumerate(question.choices)
        ]
        blocks.append(QuestionBlock(question, field, choices, feedback.get(question.position)))
    return blocks


class WeeklyGoalForm(ServiceErrorsMixin):
    lessons_per_week = forms.IntegerField(
        label=_("Lessons per week"),
        min_value=1,
        max_value=MAX_WEEKLY_GOAL,
        help_text=_("How many lessons you want to finish each week (Monday to Sunday)."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
