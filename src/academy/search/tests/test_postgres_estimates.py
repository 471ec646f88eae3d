"""PostgreSQL chooses between walking the newest documents and reading the GIN index from the
number of matches it expects: estimated from each word alone and cached, the choice must be
the one an EXPLAIN of the whole query gives."""

from __future__ import annotations

import math

import pytest
from django.db import connection

from academy.search.backends import Filters, MatchQuery
from academy.search.tests.conftest import Committed
from academy.search.tests.factories import published_wiki

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]

QUERIES = (
    MatchQuery.of_terms(("hook",)),
    MatchQuery.of_terms(("hook", "retention")),
    MatchQuery.of_terms(("hook", "retention", "the"), any_word=True),
    MatchQuery.of_terms(("the", "a")),  # stop words only: nothing to match
    MatchQuery.of_terms(("retención", "ganchos")),
)


def test_estimates_from_words_match_the_planner(committed: Committed) -> None:
    from academy.search.backends.postgres import WALK_FACTOR, PostgresBackend

    with committed():
        for number in range(30):
            published_wiki(
                title=f"Hook {number}",
                body="Retention after the hook." if number % 3 else "Ganchos y retención.",
                hashtags=["hook"],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
    planned = PostgresBackend(connection)
    cached = PostgresBackend(connection, version=1)
    for filters in (Filters(), Filters(language="es"), Filters(kind="wiki")):
        expected, documents = planned._expected_matches(QUERIES, filters)
        estimated, estimated_documents = cached._expected_matches(QUERIES, filters)
        assert estimated_documents == documents
        walk_from = WALK_FACTOR * math.sqrt(100 * documents)
        for by_plan, by_words in zip(expected, estimated, strict=True):
            assert by_words.keys() == by_plan.keys()
            for key, rows in by_plan.items():
                # The plan never says fewer than one row.
                assert max(1.0, by_words[key]) == pytest.approx(rows, rel=0.05, abs=1.0)
                assert (by_words[key] >= walk_from) == (rows >= walk_from)
