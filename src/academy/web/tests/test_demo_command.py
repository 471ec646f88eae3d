"""`academy demo --no-serve` on a fresh data directory: the whole preparation, really run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb


def demo(data_dir: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "academy.config.settings.base",
        "ACADEMY_DATA_DIR": str(data_dir),
        "ACADEMY_EVENTS_RETENTION_DAYS": "0",
        "COLUMNS": "200",
    }
    env.pop("DATABASE_URL", None)  # the embedded database, whatever the suite runs on
    finished = subprocess.run(
        [sys.executable, "-m", "academy.cli", "demo", "--no-serve", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def lake_events(data_dir: Path) -> int:
    listing = (data_dir / "events" / "lake" / "*" / "*.parquet").as_posix()
    row = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{listing}')").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


def lake_count(data_dir: Path, where: str) -> int:
    listing = (data_dir / "events" / "lake" / "*" / "*.parquet").as_posix()
    query = f"SELECT count(*) FROM read_parquet('{listing}') WHERE {where}"  # noqa: S608
    row = duckdb.connect().execute(query).fetchone()
    assert row is not None
    return int(row[0])


def demo_rows(data_dir: Path, table: str) -> int:
    """Rows of the demo experiment in one of the experiments app's tables."""
    with sqlite3.connect(data_dir / "academy.sqlite3") as connection:
        query = (
            f"SELECT count(*) FROM {table} JOIN experiments_experiment AS e "  # noqa: S608
            "ON e.id = experiment_id WHERE e.key = 'for-you-card-design'"
        )
        return int(connection.execute(query).fetchone()[0])


def simulated_creators(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "academy.sqlite3") as connection:
        query = "SELECT count(*) FROM accounts_creator WHERE external_id LIKE 'sim-%'"
        return int(connection.execute(query).fetchone()[0])


def test_demo_prepares_a_populated_platform_then_reuses_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"

    first = demo(data_dir, "--creators", "150", "--days", "3")

    recorded = json.loads((data_dir / "demo.json").read_text())
    assert (recorded["creators"], recorded["days"]) == (150, 3)
    assert lake_events(data_dir) == recorded["events"] > 0
    assert simulated_creators(data_dir) == 150
    assert list((data_dir / "events" / "rollups" / "creator_daily").glob("date=*/part.parquet"))
    assert "Demo accounts" in first
    assert "creator@demo.academy" in first
    assert f"{recorded['events']:,} events" in first
    trained = sorted((data_dir / "recsys" / "for-you").iterdir())
    assert len(trained) == 1  # the For You model, trained on the population
    # The demo experiment played: one assignment per exposure, analysed into snapshots.
    exposures = lake_count(data_dir, "name = 'exposure'")
    assert exposures == demo_rows(data_dir, "experiments_assignment") > 0
    assert demo_rows(data_dir, "experiments_experimentsnapshot") >= 1
    assert "/console/experiments/for-you-card-design/results/" in first
    assert (trained[0] / "manifest.json").exists()

    again = demo(data_dir, "--creators", "150", "--days", "3")

    assert "Simulated population: 150 creators" in again
    assert lake_events(data_dir) == recorded["events"]  # reused, not simulated twice
    assert sorted((data_dir / "recsys" / "for-you").iterdir()) == trained  # nor trained twice

    fresh = demo(data_dir, "--fresh", "--creators", "40", "--days", "2")

    assert "Erasing the demo's data" in fresh
    assert simulated_creators(data_dir) == 40
    retrained = sorted((data_dir / "recsys" / "for-you").iterdir())
    assert len(retrained) == 1
    assert retrained != trained
    assert lake_events(data_dir) == json.loads((data_dir / "demo.json").read_text())["events"]
