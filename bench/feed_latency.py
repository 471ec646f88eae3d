"""For You serving speed at 1M creators x 100k items: in-process ranking, the HTTP feed under a
paced load, and serving memory.

The data (built once, then cached in ``var/bench/feed_latency/``; rebuilt when BUILD_VERSION
changes or with ``--rebuild``):

* the catalogue: the demo content pack plus 100,000 synthetic items in search's index
  (`SearchDocument`, which the feed's catalogue reads): 5,000 courses with 65,000 lessons
  (video, article, quiz, live) and 30,000 wiki articles over the demo topics and levels,
  originals in en 60 % / es 20 % / pt-br 20 %, 15 % translated once, 1 % published in the last
  two weeks, popularity (clicks and impressions, so a click-through lift) for a tenth;
* the For You model: 10M synthetic power-law interactions of 1M creators (``bench-NNNNNNN``;
  activity ~ rank^-0.6, item popularity ~ rank^-0.9, over 90 days), item-kNN and ALS fitted
  with training's settings and written as a model version with `training._write`, plus the
  click model (`engine.click_model.ClickModel` with training's monotone constraints) over
  `ranking.FEATURES` learned from 5,000 synthetic feed requests (100,000 impressions);
* 3,000 `Creator` rows, the only creators requests are made for: 2,000 with a history in the
  model (drawn by activity, as requests are) and 1,000 without; 30 % of them with recent
  clicks, 10 % enrolled in a demo course, 10 % with hidden items or topics, 5 % with
  personalisation off.

Each measurement runs on a copy of that database (feeds write sessions and events):

a. in process (`selectors.rank_for` and `selectors.cards_for`, a page of 10): a fresh process
   loads the catalogue and the model, warms up, then times every creator of a sample, with and
   without history; medians over runs of each run's p50 and p99;
b. HTTP: `academy serve` (gunicorn, 2 workers x 4 threads) and `GET /api/v1/feed?creator=`
   with an API key (scope feed:read), paced at 300 requests/s for 5 s from 8 keep-alive
   clients (latency from the scheduled send time, as bench/api_latency.py); the load
   generator shares the machine's 2 cores;
c. memory: each gunicorn worker's peak RSS (VmHWM) after the runs, and the in-process
   measurement's after loading.

Targets (issue 6): in-process ranking p99 ≤ 5 ms; HTTP p99 ≤ 20 ms at 300 requests/s with 2
server processes; serving memory ≤ 3 GB.

``python -m bench.feed_latency --quick`` measures once without rewriting docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import Progress

from bench.common import (
    ROOT,
    academy_executable,
    free_port,
    log,
    median,
    percentile,
    write_section,
)

BUILD_VERSION = 2
CACHE = ROOT / "var" / "bench" / "feed_latency"
ITEMS = 100_000
COURSES = 5_000
LESSONS = 65_000
USERS = 1_000_000
INTERACTIONS = 10_000_000
WARM_CREATORS = 2_000
COLD_CREATORS = 1_000
RANKER_REQUESTS = 5_000
SEED = 20261201
LIMIT = 10
RUNS = 5
# Fresh processes measured in process: one process's figures vary by half from the next one's
# on this shared virtual machine (memory layout, neighbours), so the report takes their median.
PROCESSES = 3
SAMPLE_WARM = 400
SAMPLE_COLD = 200
PACED_RATE = 300
PACED_SECONDS = 5
CLIENTS = 8
WARM_TIMEOUT = 300
WARM_STREAK = 20
TARGET_INPROCESS_P99_MS = 5.0
TARGET_HTTP_P99_MS = 20.0
TARGET_MEMORY_GIB = 3.0
LANGUAGES = (("en", 0.6), ("es", 0.2), ("pt-br", 0.2))
LESSON_KINDS = ("video", "video", "article", "quiz", "live")
LEVELS = ("beginner", "intermediate", "advanced")
WORDS = (
    "hook",
    "retention",
    "trend",
    "audio",
    "caption",
    "light",
    "edit",
    "story",
    "brand",
    "live",
    "duet",
    "series",
    "loop",
    "script",
    "voice",
    "comment",
    "analytics",
    "niche",
    "audience",
    "collab",
    "sponsor",
    "safety",
    "community",
    "growth",
    "format",
    "thumbnail",
    "pacing",
    "camera",
    "sound",
    "rules",
    "money",
    "shop",
    "gift",
    "schedule",
)


# ---------------------------------------------------------------------------------------------
# Building the data (in a process configured against the cache's database)


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.config.settings.base")
    django.setup()


def _title(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words)).capitalize()


def _synthetic_catalogue(rng: random.Random, now: datetime) -> None:
    from django.db import transaction

    from academy.catalog.models import Topic
    from academy.search.models import ItemPopularity, SearchDocument

    topics = list(Topic.objects.values_list("slug", flat=True))
    languages = [language for language, _share in LANGUAGES]
    shares = [share for _language, share in LANGUAGES]
    courses = []
    for number in range(COURSES):
        courses.append(
            (
                f"bench-course-{number}",
                _title(rng, 4),
                rng.choice(topics),
                rng.choice(LEVELS),
                rng.choices(languages, shares)[0],
            )
        )
    items: list[dict[str, Any]] = []
    for slug, title, topic, level, language in courses:
        items.append(
            {
                "item": f"course:{slug}", "item_kind": "course", "item_id": slug, "kind": "course",
                "topic": topic, "level": level, "language": language, "title": title,
                "slug": slug, "course_slug": "", "parent_title": "",
            }
        )  # fmt: skip
    for number in range(LESSONS):
        slug, title, topic, level, language = courses[number % COURSES]
        lesson_id = str(10_000_000 + number)
        items.append(
            {
                "item": f"lesson:{lesson_id}", "item_kind": "lesson", "item_id": lesson_id,
                "kind": rng.choice(LESSON_KINDS), "topic": topic, "level": level,
                "language": language, "title": _title(rng, 5), "slug": f"bench-lesson-{number}",
                "course_slug": slug, "parent_title": title,
            }
        )  # fmt: skip
    for number in range(ITEMS - COURSES - LESSONS):
        slug = f"bench-wiki-{number}"
        items.append(
            {
                "item": f"wiki:{slug}", "item_kind": "wiki", "item_id": slug, "kind": "wiki",
                "topic": rng.choice(topics), "level": "",
                "language": rng.choices(languages, shares)[0], "title": _title(rng, 4),
                "slug": slug, "course_slug": "", "parent_title": "",
            }
        )  # fmt: skip
    batch: list[SearchDocument] = []
    with Progress() as progress:
        task = progress.add_task("synthetic catalogue", total=len(items))
        for item in items:
            fresh = rng.random() < 0.01
            published = now - timedelta(days=rng.uniform(0, 13) if fresh else rng.uniform(14, 730))
            languages_of = [(item["language"], True)]
            if rng.random() < 0.15:
                other = rng.choice([code for code in languages if code != item["language"]])
                languages_of.append((other, False))
            for language, original in languages_of:
                batch.append(
                    SearchDocument(
                        **{**item, "language": language},
                        is_original=original,
                        hashtags=" ".join(rng.sample(WORDS, 3)),
                        summary=_title(rng, 14),
                        body="",
                        published_at=published,
                        indexed_at=now,
                    )
                )
            if len(batch) >= 5000:
                with transaction.atomic():
                    SearchDocument.objects.bulk_create(batch)
                progress.advance(task, len(batch))
                batch = []
        with transaction.atomic():
            SearchDocument.objects.bulk_create(batch)
            ItemPopularity.objects.bulk_create(
                ItemPopularity(
                    item=item["item"],
                    clicks=clicks,
                    impressions=clicks * rng.randint(5, 60),
                    score=rng.random(),
                    refreshed_at=now,
                )
                for item in rng.sample(items, ITEMS // 10)
                for clicks in [rng.randint(1, 500)]
            )
        progress.advance(task, len(batch))


def _synthetic_interactions(item_ids: list[str], now: datetime) -> Any:
    """10M power-law interactions, built straight into dense indices (no 10M-string sort)."""
    import numpy as np

    from academy.recsys.engine.data import Interactions

    rng = np.random.default_rng(SEED)
    items = len(item_ids)
    user_p = 1.0 / np.arange(1, USERS + 1) ** 0.6
    item_p = 1.0 / np.arange(1, items + 1) ** 0.9
    who = rng.permutation(USERS)[rng.choice(USERS, size=INTERACTIONS, p=user_p / user_p.sum())]
    what = rng.permutation(items)[rng.choice(items, size=INTERACTIONS, p=item_p / item_p.sum())]
    start = int(now.timestamp()) - 90 * 86_400
    when = start + rng.integers(0, 90 * 86_400, size=INTERACTIONS)
    weights = rng.choice(np.array([1.0, 1.0, 1.0, 2.0, 3.0], dtype=np.float32), INTERACTIONS)
    return Interactions(
        users=who.astype(np.int32),
        items=what.astype(np.int32),
        weights=weights,
        timestamps=when.astype(np.int64),
        user_ids=np.array([f"bench-{number:07d}" for number in range(USERS)]),
        item_ids=np.array(item_ids),
    )


def _synthetic_ranker(cat: Any) -> tuple[Any, int]:
    """The click model (`engine.click_model.ClickModel`, training's monotone constraints)
    learned from synthetic requests whose clicks follow the features."""
    import numpy as np

    from academy.recsys.engine.click_model import ClickModel
    from academy.recsys.ranking import FEATURES, Profile, Signals, feature_matrix
    from academy.recsys.training import MONOTONE

    rng = np.random.default_rng(SEED + 1)
    today = time.time() / 86400
    topics = len(cat.topic_codes)
    column = {name: FEATURES.index(name) for name in FEATURES}
    rows, labels = [], []
    for _ in range(RANKER_REQUESTS):
        candidates = rng.choice(len(cat), size=20, replace=False)
        affinity = rng.dirichlet(np.ones(topics)) if rng.random() < 0.5 else None
        profile = Profile(
            language=str(rng.choice(["en", "es", "pt-br"])),
            level=int(rng.integers(0, 4)),
            goal_topics=frozenset(int(t) for t in rng.choice(topics, 2, replace=False)),
            niche_topics=frozenset({int(rng.integers(topics))}),
            topic_affinity=affinity,
        )
        signals = Signals(
            item_knn=rng.beta(0.5, 3, 20),
            als=np.clip(rng.normal(0.05, 0.1, 20), 0, None),
            next_lesson=np.zeros(20, dtype=np.bool_),
            editorial=rng.random(20) < 0.02,
        )
        features = feature_matrix(cat, candidates, profile, signals, today=today)
        utility = (
            2 * features[:, column["item_knn"]] + 3 * features[:, column["als"]]
            + features[:, column["popularity"]] + 0.5 * features[:, column["item_ctr"]]
            + 0.5 * features[:, column["goal_topic"]] + 0.4 * features[:, column["translated"]]
            - 0.2 * features[:, column["level_gap"]] + rng.normal(0, 0.4, 20)
        )  # fmt: skip
        label = np.zeros(20)
        label[np.argsort(-utility)[:2]] = 1
        rows.append(features)
        labels.append(label)
    ranker = ClickModel(FEATURES, monotone=MONOTONE, seed=SEED).fit(
        np.vstack(rows), np.concatenate(labels)
    )
    return ranker, RANKER_REQUESTS


def _creators(interactions: Any, rng: random.Random, now: datetime) -> dict[str, list[str]]:
    import numpy as np
    from django.db import transaction

    from academy.accounts.choices import Goal, Level, Niche
    from academy.accounts.models import Creator
    from academy.catalog.models import Course
    from academy.learning.models import Enrollment, LessonProgress
    from academy.recsys.catalogue import catalogue
    from academy.recsys.models import InteractionKind, RecentInteraction, Suppression

    counts = np.bincount(interactions.users, minlength=USERS).astype(np.float64)
    chosen = np.random.default_rng(SEED + 2).choice(
        USERS, size=WARM_CREATORS, replace=False, p=counts / counts.sum()
    )
    warm = [f"bench-{int(number):07d}" for number in chosen]
    cold = [f"bench-{USERS + number:07d}" for number in range(COLD_CREATORS)]
    languages = [language for language, _share in LANGUAGES]
    shares = [share for _language, share in LANGUAGES]
    cat = catalogue()
    keys = [item.item for item in cat.items]
    courses = list(Course.objects.prefetch_related("lessons"))
    with transaction.atomic():
        Creator.objects.bulk_create(
            Creator(
                external_id=external_id,
                handle=external_id,
                language=rng.choices(languages, shares)[0],
                niche=rng.choice(list(Niche.values)),
                goals=rng.sample(list(Goal.values), rng.randint(0, 2)),
                level=rng.choice(["", *Level.values]),
                personalisation_consent=rng.random() >= 0.05,
            )
            for external_id in warm + cold
        )
        recent, enrolments, progress, suppressions = [], [], [], []
        for creator in Creator.objects.filter(external_id__startswith="bench-"):
            if rng.random() < 0.3:
                for item in rng.sample(keys, rng.randint(1, 5)):
                    recent.append(
                        RecentInteraction(
                            creator=creator, item=item, kind=InteractionKind.CLICK, at=now
                        )
                    )
            if courses and rng.random() < 0.1:
                course = rng.choice(courses)
                enrolments.append(
                    Enrollment(
                        creator=creator, course=course, enrolled_at=now, last_activity_at=now
                    )
                )
                lessons = list(course.lessons.all())
                for lesson in lessons[: rng.randint(0, max(0, len(lessons) - 1))]:
                    progress.append(
                        LessonProgress(
                            creator=creator, lesson=lesson, started_at=now, updated_at=now,
                            completed_at=now - timedelta(days=2),
                        )
                    )  # fmt: skip
            if rng.random() < 0.1:
                suppressions.append(
                    Suppression(creator=creator, item=rng.choice(keys), created_at=now)
                    if rng.random() < 0.5
                    else Suppression(creator=creator, topic=rng.choice(list(cat.topic_codes)),
                                     created_at=now)
                )  # fmt: skip
        RecentInteraction.objects.bulk_create(recent)
        Enrollment.objects.bulk_create(enrolments)
        LessonProgress.objects.bulk_create(progress)
        Suppression.objects.bulk_create(suppressions)
    return {"warm": warm, "cold": cold}


def build(out: Path) -> None:
    _setup()
    from django.core.management import call_command

    from academy.accounts.services import api_key_create
    from academy.catalog.content_pack import load_pack
    from academy.catalog.loader import content_pack_load
    from academy.core import clock
    from academy.recsys.catalogue import catalogue
    from academy.recsys.engine.models import ALS, ItemKNN
    from academy.recsys.training import _write
    from academy.search.services import search_reindex

    timings: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    content_pack_load(pack=load_pack())
    search_reindex()
    now = clock.now()
    rng = random.Random(SEED)
    _synthetic_catalogue(rng, now)
    cat = catalogue()
    timings["catalogue"] = time.perf_counter() - started
    log(f"   catalogue: {len(cat):,} items in {timings['catalogue']:.0f} s")
    started = time.perf_counter()
    interactions = _synthetic_interactions([item.item for item in cat.items], now)
    knn = ItemKNN(neighbours=100).fit(interactions)
    log(f"   item-kNN fitted ({time.perf_counter() - started:.0f} s)")
    als = ALS(factors=32, iterations=10, seed=SEED).fit(interactions)
    log(f"   ALS fitted ({time.perf_counter() - started:.0f} s)")
    ranker, requests = _synthetic_ranker(cat)
    path = _write(now, knn, als, ranker, interactions, requests)
    timings["model"] = time.perf_counter() - started
    log(f"   model {path.name}: {timings['model']:.0f} s")
    started = time.perf_counter()
    creators = _creators(interactions, rng, now)
    _api_key, raw_key = api_key_create(name="feed bench", scopes=["feed:read"], created_by=None)
    timings["creators"] = time.perf_counter() - started
    out.write_text(
        json.dumps(
            {
                "build_version": BUILD_VERSION,
                "built_at": now.isoformat(),
                "items": len(cat),
                "pairs": int(knn.seen.nnz),
                "key": raw_key,
                "timings": timings,
                **creators,
            }
        )
    )


# ---------------------------------------------------------------------------------------------
# Measuring in process


def _rss_bytes(pid: int | str = "self") -> tuple[int, int]:
    """(current, peak) resident set size of a process."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _sep, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            found[name] = int(value.split()[0]) * 1024
    return found.get("VmRSS", 0), found.get("VmHWM", 0)


def _refresh_recent() -> None:
    """Recent signals are "in the last day" whenever the measurement runs."""
    from academy.core import clock
    from academy.recsys.models import RecentInteraction

    RecentInteraction.objects.update(at=clock.now())


def inprocess(manifest: dict[str, Any], out: Path) -> None:
    _setup()
    from academy.accounts.models import Creator
    from academy.recsys.catalogue import catalogue
    from academy.recsys.model_store import current_model
    from academy.recsys.selectors import cards_for, rank_for

    _refresh_recent()
    started = time.perf_counter()
    cat = catalogue()
    catalogue_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model = current_model()
    if model is None:
        raise RuntimeError("no For You model in the bench data")
    if model.ranker is not None:  # serving compiles the click model in the background
        while not model.ranker.compiled and time.perf_counter() - started < 120:
            time.sleep(0.1)
    model_seconds = time.perf_counter() - started
    loaded_rss = _rss_bytes()[0]
    rng = random.Random(SEED)
    by_id = {c.external_id: c for c in Creator.objects.filter(external_id__startswith="bench-")}
    warm = [by_id[x] for x in rng.sample(manifest["warm"], SAMPLE_WARM)]
    cold = [by_id[x] for x in rng.sample(manifest["cold"], SAMPLE_COLD)]
    for creator in warm[:100] + cold[:50]:  # warm-up
        cards_for(creator, limit=LIMIT, seed=1)
    pages = {}
    for number, creator in enumerate(warm[:150] + cold[:50]):
        cards, _version = cards_for(creator, limit=LIMIT, seed=number)
        pages[creator.external_id] = [
            (c.item, c.reason_code, c.reason, c.score, c.propensity) for c in cards
        ]
    runs: dict[str, list[tuple[float, float]]] = {}
    for _run in range(RUNS):
        for group, creators in (("warm", warm), ("cold", cold)):
            for name, function in (("rank_for", rank_for), ("cards_for", cards_for)):
                timings = []
                for number, creator in enumerate(creators):
                    since = time.perf_counter()
                    function(creator, limit=LIMIT, seed=number)
                    timings.append((time.perf_counter() - since) * 1000)
                runs.setdefault(f"{name} {group}", []).append(
                    (percentile(timings, 0.5), percentile(timings, 0.99))
                )
    out.write_text(
        json.dumps(
            {
                "items": len(cat),
                "model_users": len(model.user_index),
                "catalogue_seconds": catalogue_seconds,
                "model_seconds": model_seconds,
                "loaded_rss": loaded_rss,
                "peak_rss": _rss_bytes()[1],
                "latency": {
                    key: {
                        "p50_ms": median([p50 for p50, _p99 in values]),
                        "p99_ms": median([p99 for _p50, p99 in values]),
                    }
                    for key, values in runs.items()
                },
                "pages": pages,
                "load": os.getloadavg()[0],
            }
        )
    )


# ---------------------------------------------------------------------------------------------
# The driver


def _env(data_dir: Path, clock_file: Path | None = None) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ACADEMY_CLOCK_FILE"}},
        "ACADEMY_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir}/academy.sqlite3",
        "DJANGO_SETTINGS_MODULE": "academy.config.settings.base",
    }
    if clock_file is not None:
        env["ACADEMY_CLOCK_FILE"] = str(clock_file)
    return env


def ensure_data(*, rebuild: bool) -> dict[str, Any]:
    """The cached data, built first when missing, outdated or asked for."""
    manifest_path = CACHE / "build.json"
    if not rebuild and manifest_path.exists():
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        if manifest.get("build_version") == BUILD_VERSION:
            return manifest
    shutil.rmtree(CACHE, ignore_errors=True)
    staging = CACHE.with_name(CACHE.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "data").mkdir(parents=True)
    log(f"   building the data in {CACHE} (once; a few minutes)")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bench.feed_latency", "build", str(staging / "build.json")],
        env=_env(staging / "data"),
        cwd=ROOT,
        check=True,
    )
    manifest = json.loads((staging / "build.json").read_text())
    manifest["build_seconds"] = time.perf_counter() - started
    (staging / "build.json").write_text(json.dumps(manifest))
    staging.rename(CACHE)  # only a whole build is ever used
    return manifest


@contextmanager
def data_copy() -> Iterator[Path]:
    """A throwaway data directory: a copy of the cached database, migrated to the code being
    measured (a schema change does not need the data built again), the model linked."""
    with tempfile.TemporaryDirectory(prefix="academy-feed-bench-") as directory:
        data = Path(directory) / "data"
        data.mkdir()
        for entry in (CACHE / "data").iterdir():
            if entry.name == "recsys":
                (data / "recsys").symlink_to(entry)
            elif entry.is_file():
                shutil.copy2(entry, data / entry.name)
        subprocess.run(
            [sys.executable, "-m", "academy.cli", "migrate", "--verbosity", "0"],
            env=_env(data), cwd=ROOT, check=True,
        )  # fmt: skip
        yield data


def measure_inprocess(manifest: dict[str, Any]) -> dict[str, Any]:
    with data_copy() as data:
        clock_file = data / "clock"
        # A fixed "now" a day after the build, so pages are comparable between runs.
        clock_file.write_text(
            (datetime.fromisoformat(manifest["built_at"]) + timedelta(days=1)).isoformat()
        )
        out = data / "result.json"
        (data / "manifest.json").write_text(json.dumps(manifest))
        subprocess.run(
            [sys.executable, "-m", "bench.feed_latency", "inprocess", str(data / "manifest.json"),
             str(out)],
            env=_env(data, clock_file),
            cwd=ROOT,
            check=True,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def inprocess_medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Each latency figure as the median over processes; the rest from the first process."""
    combined = dict(results[0])
    combined["latency"] = {
        key: {
            figure: median([result["latency"][key][figure] for result in results])
            for figure in figures
        }
        for key, figures in results[0]["latency"].items()
    }
    combined["processes"] = len(results)
    combined["load"] = max(result["load"] for result in results)
    return combined


@dataclass
class Paced:
    p50_ms: float
    p99_ms: float
    rate: float
    warm_p99_ms: float
    cold_p99_ms: float
    server_cpu_ms: float  # the workers' CPU time per request
    client_cpu_ms: float  # the load generator's


def _cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of processes so far (all their threads)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class FeedLoad:
    """Keep-alive clients sending feed requests at scheduled times.

    Each client speaks HTTP/1.1 over a plain socket, formatting its request bytes directly:
    `http.client` parses every response's headers through the email package, and on 2 cores
    that shared with the server cost the load generator about 0.5 ms of CPU per request, a
    tenth of the server's. Responses carry a Content-Length (Django sets it), which is all this
    needs to read one."""

    def __init__(
        self, port: int, key: str, creators: list[tuple[str, str]], timeout: float = 10
    ) -> None:
        self.port, self.key, self.creators, self.timeout = port, key, creators, timeout
        self.latencies: list[tuple[str, float]] = []
        self.errors: list[int] = []
        self.lock = threading.Lock()

    def _request(self, creator: str) -> bytes:
        return (
            f"GET /api/v1/feed?creator={creator}&limit={LIMIT} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {self.key}\r\n\r\n"
        ).encode()

    @staticmethod
    def _response_status(reader: Any) -> int:
        """Read one response off the connection; its status."""
        status = int(reader.readline().split()[1])
        length = -1
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _sep, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length < 0:
            raise RuntimeError("a feed response had no Content-Length")
        reader.read(length)
        return status

    def client(self, start: float, interval: float, offset: float, count: int, first: int) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = sock.makefile("rb")
            for index in range(count):
                scheduled = start + offset + index * interval
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                group, creator = self.creators[(first + index) % len(self.creators)]
                sock.sendall(self._request(creator))
                status = self._response_status(reader)
                elapsed = (time.perf_counter() - scheduled) * 1000
                with self.lock:
                    self.latencies.append((group, elapsed))
                    if status != 200:
                        self.errors.append(status)


def paced_run(
    port: int,
    key: str,
    creators: list[tuple[str, str]],
    seconds: float,
    rate: float = PACED_RATE,
    *,
    workers: Sequence[int] = (),
) -> Paced:
    load = FeedLoad(port, key, creators)
    server_cpu, client_cpu = _cpu_seconds(workers), time.process_time()
    interval = CLIENTS / rate
    per_client = max(1, int(rate * seconds) // CLIENTS)
    start = time.perf_counter() + 0.1
    threads = [
        threading.Thread(
            target=load.client,
            args=(start, interval, index * interval / CLIENTS, per_client, index * per_client),
        )
        for index in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    server_cpu, client_cpu = _cpu_seconds(workers) - server_cpu, time.process_time() - client_cpu
    if load.errors:
        raise RuntimeError(f"{len(load.errors)} feed requests failed, e.g. HTTP {load.errors[0]}")
    every = [ms for _group, ms in load.latencies]
    return Paced(
        server_cpu_ms=server_cpu * 1000 / len(every),
        client_cpu_ms=client_cpu * 1000 / len(every),
        p50_ms=percentile(every, 0.5),
        p99_ms=percentile(every, 0.99),
        rate=len(every) / elapsed,
        warm_p99_ms=percentile([ms for group, ms in load.latencies if group == "warm"], 0.99),
        cold_p99_ms=percentile([ms for group, ms in load.latencies if group == "cold"], 0.99),
    )


def _warm_up(port: int, key: str, creators: list[tuple[str, str]]) -> None:
    """Until both workers have loaded the catalogue and the model (the first request of each
    waits for that, 10-30 s at 100k items on a busy machine): concurrent first requests, then
    requests on new connections (either worker may take one) until WARM_STREAK in a row are
    answered within a second."""
    first = FeedLoad(port, key, creators, timeout=WARM_TIMEOUT)
    threads = [
        threading.Thread(target=first.client, args=(time.perf_counter(), 0.0, 0, 1, index))
        for index in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + WARM_TIMEOUT
    streak, index = 0, 0
    while streak < WARM_STREAK:
        if time.monotonic() > deadline:
            raise RuntimeError("the feed's workers did not warm up")
        load = FeedLoad(port, key, creators, timeout=WARM_TIMEOUT)
        since = time.perf_counter()
        load.client(since, 0.0, 0, 1, index)
        if load.errors:
            raise RuntimeError(f"a warm-up feed request failed with HTTP {load.errors[0]}")
        streak = streak + 1 if time.perf_counter() - since < 1.0 else 0
        index += 1


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def measure_http(manifest: dict[str, Any], runs: int) -> dict[str, Any]:
    rng = random.Random(SEED + 3)
    creators = [("warm", c) for c in manifest["warm"]] + [("cold", c) for c in manifest["cold"]]
    rng.shuffle(creators)
    with data_copy() as data:
        env = _env(data)
        subprocess.run(
            [sys.executable, "-m", "bench.feed_latency", "refresh"], env=env, cwd=ROOT, check=True
        )
        port = free_port()
        process = subprocess.Popen(
            [academy_executable(), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("academy serve did not start") from None
                    time.sleep(0.2)
            workers = _workers(process.pid)
            started = time.perf_counter()
            _warm_up(port, manifest["key"], creators)
            first_seconds = time.perf_counter() - started
            paced_run(port, manifest["key"], creators, 3)
            results = []
            with Progress() as progress:
                task = progress.add_task("GET /api/v1/feed at 300/s", total=runs)
                for _ in range(runs):
                    results.append(
                        paced_run(port, manifest["key"], creators, PACED_SECONDS, workers=workers)
                    )
                    progress.advance(task)
            # Below the target rate the latencies above measure the queue; the latency of a
            # request the server has time for is measured at half the rate it kept up.
            kept_up = median([r.rate for r in results])
            sustainable: list[Paced] = []
            if kept_up < 0.9 * PACED_RATE:
                low = max(5.0, round(kept_up / 2))
                with Progress() as progress:
                    task = progress.add_task(f"GET /api/v1/feed at {low:.0f}/s", total=runs)
                    for _ in range(runs):
                        sustainable.append(
                            paced_run(
                                port, manifest["key"], creators, PACED_SECONDS, low, workers=workers
                            )
                        )
                        progress.advance(task)
            peaks = [_rss_bytes(pid)[1] for pid in workers]
            master_peak = _rss_bytes(process.pid)[1]
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
    return {
        "p50_ms": median([r.p50_ms for r in results]),
        "p99_ms": median([r.p99_ms for r in results]),
        "warm_p99_ms": median([r.warm_p99_ms for r in results]),
        "cold_p99_ms": median([r.cold_p99_ms for r in results]),
        "rate": median([r.rate for r in results]),
        "server_cpu_ms": median([r.server_cpu_ms for r in results]),
        "client_cpu_ms": median([r.client_cpu_ms for r in results]),
        "runs_p99": [round(r.p99_ms, 1) for r in results],
        "worker_peaks": peaks,
        "master_peak": master_peak,
        "first_seconds": first_seconds,
        "low": (
            {
                "rate": median([r.rate for r in sustainable]),
                "p50_ms": median([r.p50_ms for r in sustainable]),
                "p99_ms": median([r.p99_ms for r in sustainable]),
                "server_cpu_ms": median([r.server_cpu_ms for r in sustainable]),
            }
            if sustainable
            else None
        ),
        "load": os.getloadavg()[0],
    }


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "missed"


def report(manifest: dict[str, Any], inproc: dict[str, Any], web: dict[str, Any]) -> str:
    gib = 2**30
    latency = inproc["latency"]
    rows = "\n".join(
        f"| `{name}` | {group} | {latency[f'{name} {group}']['p50_ms']:.2f} ms | "
        f"{latency[f'{name} {group}']['p99_ms']:.2f} ms | "
        + (
            f"p99 ≤ {TARGET_INPROCESS_P99_MS:.0f} ms "
            f"({_verdict(latency[f'{name} {group}']['p99_ms'], TARGET_INPROCESS_P99_MS)})"
            if name == "rank_for"
            else ""
        )
        + " |"
        for name in ("rank_for", "cards_for")
        for group in ("warm", "cold")
    )
    worker_peak = max(web["worker_peaks"]) / gib
    low = web.get("low")
    saturated = (
        f"""
The server did not keep up with {PACED_RATE} requests/s: it answered
{web["rate"]:.0f}/s, so requests queued and the latencies at {PACED_RATE}/s are mostly the
queue. Paced at {low["rate"]:.0f} requests/s (half that), where it keeps up, p50 is
{low["p50_ms"]:.1f} ms and p99 {low["p99_ms"]:.1f} ms (medians of {len(web["runs_p99"])} runs).
"""
        if low
        else ""
    )
    total = (sum(web["worker_peaks"]) + web["master_peak"]) / gib
    return f"""
### For You serving at 1M creators x {ITEMS // 1000}k items (`bench/feed_latency.py`)

{manifest["items"]:,} catalogue items (100,000 synthetic + the demo pack) in search's index;
a For You model of {USERS:,} creators from {INTERACTIONS:,} synthetic power-law interactions
({manifest["pairs"]:,} distinct creator-item pairs): item-kNN (100 neighbours), ALS (32
factors) and the click model (80 trees). Requests are made for {WARM_CREATORS:,} creators with a
history in the model ("warm", drawn by activity) and {COLD_CREATORS:,} without ("cold"); 30 %
have recent clicks, 10 % a course in progress, 10 % hidden items or topics, 5 % personalisation
off. Pages of {LIMIT}. Building the data took {manifest["build_seconds"] / 60:.0f} min (cached in
`var/bench/feed_latency/`).

**In process** ({SAMPLE_WARM} warm and {SAMPLE_COLD} cold creators per run, after a warm-up;
medians of {RUNS} runs of each run's p50 and p99 in each of {inproc["processes"]} fresh
processes, then the median over the processes; SQLite; highest 1-minute load average at the end
of a process {inproc["load"]:.1f}, other work sharing the cores). `rank_for` is the ranking
(the creator's state, candidates, features, ranker, re-ranking); `cards_for` adds the cards
and their reasons.

| call | creators | p50 | p99 | target |
| --- | --- | ---: | ---: | --- |
{rows}

Loading in a fresh process: catalogue {inproc["catalogue_seconds"]:.1f} s, model
{inproc["model_seconds"]:.1f} s; resident memory after loading
{inproc["loaded_rss"] / gib:.2f} GiB, peak {inproc["peak_rss"] / gib:.2f} GiB.

**HTTP** (`GET /api/v1/feed?creator=…&limit={LIMIT}`, Bearer key with `feed:read`, `academy
serve` with 2 gunicorn workers x 4 threads, SQLite): paced at {PACED_RATE} requests/s for
{PACED_SECONDS} s from {CLIENTS} keep-alive clients, latency from the scheduled send time;
medians of {len(web["runs_p99"])} runs (p99 per run: {", ".join(map(str, web["runs_p99"]))} ms).
Each request also writes the feed session and logs {LIMIT} `recommended` events. The load
generator shares the machine's 2 cores (1-minute load average at the end
{web["load"]:.1f}). Both workers had loaded the catalogue and the model
{web["first_seconds"]:.0f} s after the server first answered (each worker's first request
waits for that).

| metric | result | target |
| --- | ---: | --- |
| p50 | {web["p50_ms"]:.1f} ms | |
| p99 | {web["p99_ms"]:.1f} ms | ≤ {TARGET_HTTP_P99_MS:.0f} ms ({_verdict(web["p99_ms"], TARGET_HTTP_P99_MS)}) |
| p99, warm / cold creators | {web["warm_p99_ms"]:.1f} / {web["cold_p99_ms"]:.1f} ms | |
| throughput | {web["rate"]:.0f}/s | {PACED_RATE}/s |
| CPU per request: server (both workers) / load generator | {web["server_cpu_ms"]:.2f} / {web["client_cpu_ms"]:.2f} ms | |
| peak RSS per worker | {worker_peak:.2f} GiB | ≤ {TARGET_MEMORY_GIB:.0f} GiB ({_verdict(worker_peak, TARGET_MEMORY_GIB)}) |
| peak RSS, 2 workers + master | {total:.2f} GiB | |
{saturated}"""  # noqa: E501


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "build":
        build(Path(sys.argv[2]))
        return
    if len(sys.argv) == 2 and sys.argv[1] == "refresh":
        _setup()
        _refresh_recent()
        return
    if len(sys.argv) == 4 and sys.argv[1] == "inprocess":
        inprocess(json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.feed_latency")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--quick", action="store_true", help="one HTTP run; docs untouched")
    parser.add_argument("--skip-http", action="store_true", help="in-process figures only")
    parser.add_argument("--pages", type=Path, help="also write the measured pages here (JSON)")
    options = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    manifest = ensure_data(rebuild=options.rebuild)
    log("   in process")
    inproc = inprocess_medians([measure_inprocess(manifest) for _ in range(PROCESSES)])
    summary = {k: v for k, v in inproc.items() if k != "pages"}
    log(json.dumps(summary, indent=1))
    if options.pages:
        options.pages.write_text(json.dumps(inproc["pages"], indent=0))
    if options.skip_http:
        return
    log("   over HTTP")
    web = measure_http(manifest, 1 if options.quick else RUNS)
    log(json.dumps(web, indent=1))
    if options.quick:
        return
    write_section("feed_latency", report(manifest, inproc, web))


if __name__ == "__main__":
    main()
