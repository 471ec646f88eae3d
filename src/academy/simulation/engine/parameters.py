"""Population marginals fitted on KuaiRand-Pure's user and video feature tables.

``parameters_fit`` reads the two CSV files and keeps only distribution parameters and shares —
never a row — in a small JSON file committed beside this module, so the simulator works on a
machine without the data set. ``academy simulate fit`` rewrites that file.

KuaiRand's users are viewers and creators of a short-video app; the simulator's creators are
fitted on the users who posted videos (``is_video_author = 1``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
from scipy import stats  # type: ignore[import-untyped]

from academy.simulation.engine.assumptions import FOLLOWER_TIER_FLOORS, FOLLOWER_TIERS

PARAMETERS_PATH = Path(__file__).with_name("kuairand_parameters.json")
# Beside the project's checkout, never inside it (../shared/data/README.md).
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[5] / "shared" / "data" / "kuairand-pure"
USERS_FILE = "user_features_pure.csv"
VIDEOS_FILE = "video_features_basic_pure.csv"
TOP_TAGS = 10
# Families tried for each continuous attribute; the one closest to the data (Kolmogorov-Smirnov
# distance) is kept.
FOLLOWER_FAMILIES = ("lognorm", "genpareto", "weibull_min", "gamma")
ACCOUNT_AGE_FAMILIES = ("beta", "gamma", "weibull_min", "lognorm")
DURATION_FAMILIES = ("lognorm", "gamma", "weibull_min")


class FitProblem(ValueError):
    """The data set cannot be fitted: a file or a column is missing."""


@dataclass(frozen=True)
class Distribution:
    """A fitted scipy.stats distribution: family, parameters and its distance from the data."""

    family: str
    params: tuple[float, ...]
    ks_distance: float

    def frozen(self) -> Any:
        return getattr(stats, self.family)(*self.params)

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        """Draws by inverse CDF, so the seed alone fixes them."""
        return np.asarray(self.frozen().ppf(rng.random(size)), dtype=np.float64)

    def cdf(self, x: float) -> float:
        return float(self.frozen().cdf(x))


@dataclass(frozen=True)
class Parameters:
    source: str
    creators_fitted: int
    activity_shares: dict[str, float]  # KuaiRand user_active_degree -> share
    follower_tier_shares: dict[str, float]  # share of creators per follower tier
    follower_zero_share: float
    follower_count: Distribution  # the shape of follower counts within a tier (positive counts)
    account_age_days: Distribution
    live_streamer_share: float
    video_duration_seconds: Distribution
    tag_rank_shares: tuple[float, ...]  # the most common tags' shares of tag uses, ranked


def follower_tier_of(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Index into FOLLOWER_TIERS of each follower count."""
    return np.searchsorted(np.asarray(FOLLOWER_TIER_FLOORS), counts, side="right") - 1


def _best_fit(
    values: npt.NDArray[np.float64], families: tuple[str, ...], **fixed: float
) -> Distribution:
    best: Distribution | None = None
    for family in families:
        extra = dict(fixed)
        if family == "beta":
            extra["fscale"] = float(values.max()) + 1.0
        params = getattr(stats, family).fit(values, **extra)
        distance = float(stats.kstest(values, family, params).statistic)
        candidate = Distribution(
            family=family,
            params=tuple(float(f"{float(p):.6g}") for p in params),
            ks_distance=round(distance, 4),
        )
        if best is None or candidate.ks_distance < best.ks_distance:
            best = candidate
    assert best is not None
    return best


def _read(path: Path, columns: dict[str, pa.DataType]) -> dict[str, npt.NDArray[Any]]:
    if not path.exists():
        raise FitProblem(f"{path} does not exist: point --data at the KuaiRand-Pure folder.")
    table = pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(include_columns=list(columns), column_types=columns),
    )
    missing = sorted(set(columns) - set(table.column_names))
    if missing:
        raise FitProblem(f"{path.name} lacks the columns {', '.join(missing)}.")
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in columns}


def parameters_fit(*, data_dir: Path) -> Parameters:
    """Fit the creator marginals on ``data_dir`` (the KuaiRand-Pure folder)."""
    users = _read(
        data_dir / USERS_FILE,
        {
            "user_active_degree": pa.string(),
            "is_live_streamer": pa.int64(),
            "is_video_author": pa.int64(),
            "fans_user_num": pa.float64(),
            "register_days": pa.float64(),
        },
    )
    creators = users["is_video_author"] == 1
    degrees = Counter(
        degree for degree in users["user_active_degree"][creators] if degree != "UNKNOWN"
    )
    known = sum(degrees.values())
    fans = users["fans_user_num"][creators]
    videos = _read(data_dir / VIDEOS_FILE, {"video_duration": pa.float64(), "tag": pa.string()})
    durations = videos["video_duration"]
    durations = durations[~np.isnan(durations)] / 1000.0
    tags = Counter(tag for field in videos["tag"] if field for tag in str(field).split(","))
    top = [count for _tag, count in tags.most_common(TOP_TAGS)]
    return Parameters(
        source="KuaiRand-Pure (Gao et al., CIKM 2022), CC BY-SA 4.0: "
        f"{USERS_FILE} and {VIDEOS_FILE}",
        creators_fitted=int(creators.sum()),
        activity_shares={
            degree: round(count / known, 6) for degree, count in sorted(degrees.items())
        },
        follower_tier_shares={
            tier: round(float((follower_tier_of(fans.astype(np.int64)) == index).mean()), 6)
            for index, tier in enumerate(FOLLOWER_TIERS)
        },
        follower_zero_share=round(float((fans == 0).mean()), 6),
        follower_count=_best_fit(fans[fans > 0], FOLLOWER_FAMILIES, floc=0.0),
        account_age_days=_best_fit(
            users["register_days"][creators], ACCOUNT_AGE_FAMILIES, floc=0.0
        ),
        live_streamer_share=round(float((users["is_live_streamer"][creators] == 1).mean()), 6),
        video_duration_seconds=_best_fit(durations, DURATION_FAMILIES, floc=0.0),
        tag_rank_shares=tuple(round(count / sum(top), 6) for count in top),
    )


def parameters_save(parameters: Parameters, path: Path = PARAMETERS_PATH) -> None:
    path.write_text(json.dumps(asdict(parameters), indent=2) + "\n", encoding="utf-8")


def parameters_load(path: Path = PARAMETERS_PATH) -> Parameters:
    data = json.loads(path.read_text(encoding="utf-8"))

    def distribution(raw: dict[str, Any]) -> Distribution:
        return Distribution(raw["family"], tuple(raw["params"]), raw["ks_distance"])

    return Parameters(
        source=data["source"],
        creators_fitted=data["creators_fitted"],
        activity_shares=dict(data["activity_shares"]),
        follower_tier_shares=dict(data["follower_tier_shares"]),
        follower_zero_share=data["follower_zero_share"],
        follower_count=distribution(data["follower_count"]),
        account_age_days=distribution(data["account_age_days"]),
        live_streamer_share=data["live_streamer_share"],
        video_duration_seconds=distribution(data["video_duration_seconds"]),
        tag_rank_shares=tuple(data["tag_rank_shares"]),
    )
