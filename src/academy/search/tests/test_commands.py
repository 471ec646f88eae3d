"""`academy search reindex|popularity` as an operator runs them."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from academy.search.models import SearchDocument, SearchTerm
from academy.search.ranking import SearcherProfile
from academy.search.selectors import search_documents
from academy.search.tests.conftest import Committed
from academy.search.tests.factories import published_wiki

pytestmark = pytest.mark.django_db


def test_reindex_rebuild_recreates_the_engine_and_recounts_the_vocabulary(
    committed: Committed,
) -> None:
    with committed():
        published_wiki(title="Teleprompter", body="Read while you film.")
    SearchTerm.objects.update(documents=7)  # drifted counts
    output = StringIO()
    call_command("search", "reindex", "--rebuild", stdout=output)
    assert "Indexed 1 items (1 language versions); removed 0 no longer published." in (
        output.getvalue()
    )
    assert "Vocabulary:" in output.getvalue()
    assert SearchTerm.objects.get(key="teleprompter").documents == 1
    assert SearchDocument.objects.count() == 1
    results = search_documents(query="teleprompter", profile=SearcherProfile(language="en"))
    assert results.total == 1


def test_popularity_without_rollups_is_zero_items(events_dir: Path) -> None:
    output = StringIO()
    call_command("search", "popularity", stdout=output)
    assert "Popularity refreshed: 0 items" in output.getvalue()
