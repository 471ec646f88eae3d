"""Training the For You model from a simulated lake, and serving it: the learned ranker, hot
reload of a new version, real-time history, and an interrupted training writing nothing."""

from __future__ import annotations

import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from academy.accounts.models import Creator
from academy.catalog.content_pack import load_pack
from academy.catalog.loader import content_pack_load
from academy.recsys import model_store
from academy.recsys.catalogue import catalogue_forget
from academy.recsys.model_store import current_model, models_root
from academy.recsys.selectors import cards_for
from academy.recsys.services import feed_click_record
from academy.recsys.training import TrainingStopped, recsys_train
from academy.search.services import search_popularity_refresh, search_reindex
from academy.simulation.services import simulation_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulated_lake(events_dir: Path) -> Path:
    """The content pack, and 800 simulated creators' 12 days in the lake, with popularity."""
    content_pack_load(pack=load_pack())
    search_reindex()
    simulation_run(creators=800, days=12, seed=4, sink="lake", events_dir=events_dir, rollups=True)
    search_popularity_refresh(events_dir=events_dir)
    catalogue_forget()
    return events_dir


@pytest.mark.usefixtures("no_exploration")
def test_train_then_serve_a_learned_and_explained_feed(
    simulated_lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = recsys_train(events_dir=simulated_lake, seed=1)
    assert report.ranker
    assert report.interactions > 1000
    assert report.path.parent == models_root()
    assert (report.path / "manifest.json").exists()
    # The ranker leans on what predicts clicks in this world: popularity and the history.
    assert max(report.importance, key=report.importance.__getitem__) in {
        "popularity", "item_knn", "topic_affinity", "als"
    }  # fmt: skip

    model = current_model()
    assert model is not None
    assert model.version == report.version
    creator = Creator.objects.get(external_id="sim-0000001")
    cards, version = cards_for(creator, limit=10)
    assert version == report.version
    assert len(cards) == 10
    assert len({card.item for card in cards}) == 10

    # A click a minute ago counts on the next page: "because you viewed" it.
    clicked = cards[0].item
    feed_click_record(creator=creator, item=clicked, request_id="r" * 32, position=0)
    after, _version = cards_for(creator, limit=10)
    clicked_title = next(card.title for card in cards if card.item == clicked)
    assert any(card.reason_code == "because_you" and clicked_title in card.reason for card in after)

    # A newer version lands: serving picks it up without a restart.
    monkeypatch.setattr(model_store, "RELOAD_SECONDS", 0.0)
    newer = recsys_train(events_dir=simulated_lake, seed=2)
    assert newer.version > report.version
    refreshed = current_model()
    assert refreshed is not None
    assert refreshed.version == newer.version


def test_an_interrupted_training_writes_nothing(simulated_lake: Path) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(TrainingStopped):
        recsys_train(events_dir=simulated_lake, should_stop=stop)
    assert not models_root().exists() or not any(models_root().iterdir())


def test_an_empty_lake_is_refused(events_dir: Path) -> None:
    content_pack_load(pack=load_pack())
    with pytest.raises(ValueError, match="no clicks"):
        recsys_train(events_dir=events_dir)


def test_the_train_command_reports_the_new_version(simulated_lake: Path) -> None:
    out = StringIO()
    call_command("recsys", "train", stdout=out)
    versions = list(models_root().iterdir())
    assert len(versions) == 1
    assert f"For You model {versions[0].name}" in out.getvalue()
    assert "click model: trained on" in out.getvalue()


def test_the_train_command_on_an_empty_lake_says_why(events_dir: Path) -> None:
    content_pack_load(pack=load_pack())
    with pytest.raises(CommandError, match="no clicks"):
        call_command("recsys", "train", stdout=StringIO())
