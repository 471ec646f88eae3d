"""`academy recsys evaluate` end to end: files, the events lake, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from academy.core.errors import ValidationFailed
from academy.events.capture import CaptureLog
from academy.events.lake import compact
from academy.events.tests.test_rollups import event
from academy.recsys.evaluation import interactions_from_lake, interactions_load
from academy.recsys.tests.recsys_data import two_clusters


def clusters_csv(path: Path) -> Path:
    data = two_clusters(users_per_cluster=30, items_per_cluster=12, per_user=10)
    lines = ["user,item,timestamp"] + [
        f"creator-{data.user_ids[u]},lesson-{data.item_ids[i]},{t}"
        for u, i, t in zip(data.users, data.items, data.timestamps, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("recsys", *args, stdout=out)
    return out.getvalue()


def test_evaluate_prints_our_model_and_the_baselines_as_json(tmp_path: Path) -> None:
    path = clusters_csv(tmp_path / "clusters.csv")
    report = json.loads(run("evaluate", str(path), "--format", "csv", "--json", "--grid", "small"))
    assert report["dataset"] == "clusters.csv"
    assert report["users"] == 60
    assert list(report["models"]) == ["hybrid", "popularity", "item_knn", "als", "ease"]
    assert report["models"]["hybrid"]["metrics"]["hit_rate@10"] == 1.0
    assert report["models"]["ease"]["params"]["regularization"] in (100.0, 300.0, 1000.0)
    assert report["protocol"]["test_fraction"] == 0.2


def test_evaluate_prints_a_table_by_default(tmp_path: Path) -> None:
    path = clusters_csv(tmp_path / "clusters.csv")
    output = run("evaluate", str(path), "--format", "csv", "--grid", "small", "--k", "5")
    assert "NDCG@5" in output
    assert "hybrid (ours)" in output
    assert "Our model vs the best baseline" in output


def test_a_bad_csv_is_refused_with_its_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("user,item,timestamp\nana,1,1700000000\nbo,2,last tuesday\n")
    with pytest.raises(CommandError, match="line 3: timestamp 'last tuesday'"):
        run("evaluate", str(path), "--format", "csv")
    completed = subprocess.run(
        [sys.executable, "-m", "academy.cli", "recsys", "evaluate", str(path), "--format", "csv"],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "academy.config.settings.test"},
        check=False,
    )
    assert completed.returncode != 0
    assert "line 3" in completed.stderr


def test_too_few_interactions_are_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("user,item,timestamp\nana,1,1\nana,2,2\n")
    with pytest.raises(CommandError, match="at least 5"):
        run("evaluate", str(path), "--format", "csv", "--grid", "small")
    with pytest.raises(ValidationFailed, match="cannot be read"):
        interactions_load(path=tmp_path / "absent.csv", input_format="csv")


def lake_event(n: int, name: str, day: int, creator: str, item: str) -> dict[str, Any]:
    return event(n, name, f"2026-11-{day:02d}", creator, item, "for_you_card")


def test_the_lake_gives_clicks_and_completions_of_signed_in_creators(tmp_path: Path) -> None:
    log = CaptureLog(tmp_path / "capture")
    log.append(
        [
            lake_event(1, "click", 18, "ana", "1"),
            lake_event(2, "lesson_complete", 19, "ana", "1"),
            lake_event(3, "impression", 19, "ana", "2"),
            lake_event(4, "click", 20, "bo", "2"),
            lake_event(5, "click", 20, "", "3"),
        ]
    )
    log.seal()
    compact(events_dir=tmp_path)
    data = interactions_from_lake(events_dir=tmp_path)
    assert data.user_ids.tolist() == ["ana", "bo"]
    assert data.item_ids.tolist() == ["lesson:1", "lesson:2"]
    assert sorted(data.weights.tolist()) == [1.0, 1.0, 2.0]
    # Ana's click and completion of lesson 1 are one pair weighing 3.
    assert data.to_csr().toarray().tolist() == [[3.0, 0.0], [0.0, 1.0]]


def test_evaluate_reads_the_lake(tmp_path: Path) -> None:
    data = two_clusters(users_per_cluster=25, items_per_cluster=10, per_user=8)
    events = [
        lake_event(n, "click", 10 + int((t - data.timestamps.min()) // 86_400), f"c{u}", f"{i}")
        for n, (u, i, t) in enumerate(zip(data.users, data.items, data.timestamps, strict=True))
    ]
    log = CaptureLog(tmp_path / "capture")
    log.append(events)
    log.seal()
    compact(events_dir=tmp_path)
    report = json.loads(
        run("evaluate", str(tmp_path), "--format", "lake", "--json", "--grid", "small")
    )
    assert report["users"] == 50
    assert report["models"]["hybrid"]["metrics"]["hit_rate@10"] == 1.0
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="empty"):
        run("evaluate", str(tmp_path / "empty"), "--format", "lake")
