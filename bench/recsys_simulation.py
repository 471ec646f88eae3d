"""For You against popularity in the simulator (issue: "the product's feed must beat
popularity on simulated CTR and completion").

Each run, in a fresh data directory and SQLite database with the demo content pack: 1,500
simulated creators live 21 days under the popularity policy (the lake the model trains on);
popularity is refreshed from the rollups and the For You model trained; then the same world
(same seed: same creators and hidden tastes) lives 4 more days once under popularity and once
under the product's feed (`academy.recsys.simulation`). Three seeds; the table shows each and
the median lift.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, log, median, write_section

CREATORS = 1_500
WARMUP_DAYS = 21
DAYS = 4
SEEDS = (5, 6, 7)


def measure(seed: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from academy.catalog.content_pack import load_pack
    from academy.catalog.loader import content_pack_load
    from academy.recsys.simulation import feed_ctr, recsys_simulated_comparison
    from academy.search.services import search_reindex

    call_command("migrate", verbosity=0)
    content_pack_load(pack=load_pack())
    search_reindex()
    result = recsys_simulated_comparison(
        creators=CREATORS,
        warmup_days=WARMUP_DAYS,
        days=DAYS,
        seed=seed,
        events_dir=Path(settings.ACADEMY_EVENTS_DIR),
    )
    return {
        name: {
            "feed_ctr": feed_ctr(report),
            "completions": report.lesson_completions,
            "completion_rate": report.completion_rate,
            "return_rate": report.next_day_return_rate,
            "hides": report.events_by_name.get("not_interested", 0),
        }
        for name, report in (("popularity", result.popularity), ("for_you", result.for_you))
    }


def _run(seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="academy-bench-recsys-sim-") as directory:
        output = Path(directory) / "result.json"
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "ACADEMY_DATA_DIR": directory,
            "DATABASE_URL": f"sqlite:///{directory}/academy.sqlite3",
            "DJANGO_SETTINGS_MODULE": "academy.config.settings.base",
        }
        command = [
            sys.executable,
            "-m",
            "bench.recsys_simulation",
            "measure",
            str(seed),
            str(output),
        ]
        subprocess.run(command, env=env, cwd=ROOT, check=True)
        result: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
        return result


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "measure":
        Path(sys.argv[3]).write_text(json.dumps(measure(int(sys.argv[2]))), encoding="utf-8")
        return
    runs = []
    for seed in SEEDS:
        log(f"   seed {seed}")
        runs.append((seed, _run(seed)))
    metrics = (
        ("feed_ctr", "feed click-through", "{:.4f}"),
        ("completions", "lesson completions", "{:,}"),
        ("completion_rate", "completion rate (completions / starts)", "{:.3f}"),
        ("return_rate", "next-day return rate", "{:.3f}"),
        ("hides", '"not interested"', "{:,}"),
    )
    rows = []
    for key, label, shape in metrics:
        cells = " | ".join(
            f"{shape.format(run['popularity'][key])} → {shape.format(run['for_you'][key])}"
            for _seed, run in runs
        )
        lifts = [
            run["for_you"][key] / run["popularity"][key] - 1
            for _seed, run in runs
            if run["popularity"][key]
        ]
        rows.append(f"| {label} | {cells} | {median(lifts):+.1%} |")
    header = " | ".join(f"seed {seed}: popularity → For You" for seed, _run in runs)
    write_section(
        "recsys_simulation",
        f"""
### For You in the simulator (`bench/recsys_simulation.py`)

{CREATORS:,} simulated creators: {WARMUP_DAYS} days under the popularity policy fill the lake,
the For You model is trained on it, then the same world lives {DAYS} more days under
popularity and under the product's feed (the feed's entry points: the host app's card and the
Academy home feed). Issue target: the feed beats popularity on simulated CTR and completion.

| metric | {header} | median lift |
| --- | {" | ".join("---:" for _ in runs)} | ---: |
{chr(10).join(rows)}
""",
    )


if __name__ == "__main__":
    main()
