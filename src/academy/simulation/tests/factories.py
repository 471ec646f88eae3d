"""A small published catalogue for the simulator's tests, made through the catalog services."""

from __future__ import annotations

from academy.catalog.models import Course, WikiArticle
from academy.catalog.tests.factories import make_published_course, make_wiki, publish


def make_simulation_catalog() -> tuple[list[Course], list[WikiArticle]]:
    """Two courses (every lesson kind but live) at two levels, and two wiki articles."""
    courses = [
        make_published_course(
            kinds=("video", "article", "quiz"), title="Hooks that hold", level="beginner"
        ),
        make_published_course(
            kinds=("video", "video", "article", "quiz"),
            title="Retention analytics",
            level="intermediate",
        ),
    ]
    articles = [
        publish(make_wiki(body="A hook is the first second. " * 40)),
        publish(make_wiki(body="Retention is who stays. " * 80)),
    ]
    return courses, articles
