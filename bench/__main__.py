"""`python -m bench`: run every benchmark, or the ones named, and rewrite docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import importlib

from bench.common import log

BENCHMARKS = (
    "api_latency",
    "event_capture",
    "event_compaction",
    "event_rollups",
    "insights_tiles",
    "search_latency",
    "feed_latency",
    "simulation",
    "stats_engine",
    "experiment_analysis",
    "flag_evaluation",
    "recsys_training",
    "recsys_simulation",
    "demo_boot",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="default: all")
    names = parser.parse_args().names or list(BENCHMARKS)
    for name in names:
        log(f"== {name}")
        module = importlib.import_module(f"bench.{name}")
        module.main()
    log("Results written to docs/BENCHMARKS.md")


if __name__ == "__main__":
    main()
