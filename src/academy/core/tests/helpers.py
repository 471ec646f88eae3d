"""Small helpers shared by the test suites of every app."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from html import unescape

from django.test import Client

from academy.accounts.models import User
from academy.catalog.models import Course, Lesson

SetTime = Callable[[datetime], datetime]


def signed_in(user: User) -> Client:
    """A test client with ``user`` signed in."""
    client = Client()
    client.force_login(user)
    return client


def visible_text(html: str) -> str:
    """A page's words as a reader sees them: tags removed, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def lessons_of(course: Course) -> dict[str, Lesson]:
    """The course's lessons by kind (the factories make one lesson per kind)."""
    return {lesson.kind: lesson for lesson in course.lessons.order_by("position")}
