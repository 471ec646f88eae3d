"""Search quality against a labelled query set: MRR and NDCG@10.

`evaluation.yaml` beside this module holds queries written for the demo content pack — in
English, Spanish and Portuguese, with misspellings — each with the items a creator would want,
graded 2 (the answer) or 1 (useful). Items are named by stable keys: `course:<slug>`,
`lesson:<course>/<lesson>`, `wiki:<slug>`. `academy search evaluate` runs every query through
the same `search_documents` the pages use, as a creator of the query's language with no other
profile, and reports:

- MRR: the mean over queries of 1 / the rank of the first relevant result (0 if none in the
  top 10);
- NDCG@10: discounted cumulative gain of the top 10 (gain 2^grade - 1, discount log2(rank + 1))
  divided by that of the ideal order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

LABELS_PATH = Path(__file__).resolve().parent / "evaluation.yaml"
CUTOFF = 10


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    language: str
    relevant: Mapping[str, int]


def load_labels(path: Path = LABELS_PATH) -> list[LabelledQuery]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    queries = []
    for number, entry in enumerate(entries, start=1):
        relevant = {str(key): int(grade) for key, grade in entry["relevant"].items()}
        if not relevant or any(grade not in (1, 2) for grade in relevant.values()):
            raise ValueError(f"{path.name}: query {number} needs items graded 1 or 2")
        queries.append(LabelledQuery(str(entry["query"]), str(entry["language"]), relevant))
    return queries


def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    for position, key in enumerate(ranked[:CUTOFF], start=1):
        if key in relevant:
            return 1 / position
    return 0.0


def ndcg(ranked: Sequence[str], relevant: Mapping[str, int], k: int = CUTOFF) -> float:
    def dcg(grades: Sequence[int]) -> float:
        return float(
            sum((2**grade - 1) / math.log2(rank + 1) for rank, grade in enumerate(grades, 1))
        )

    ideal = dcg(sorted(relevant.values(), reverse=True)[:k])
    return dcg([relevant.get(key, 0) for key in ranked[:k]]) / ideal if ideal else 0.0


@dataclass(frozen=True)
class QueryResult:
    query: LabelledQuery
    ranked: list[str]
    reciprocal_rank: float
    ndcg: float


@dataclass(frozen=True)
class Evaluation:
    results: list[QueryResult]

    @property
    def mrr(self) -> float:
        return _mean([result.reciprocal_rank for result in self.results])

    @property
    def ndcg(self) -> float:
        return _mean([result.ndcg for result in self.results])

    def by_language(self) -> dict[str, tuple[int, float, float]]:
        """Language -> (queries, MRR, NDCG@10)."""
        languages = sorted({result.query.language for result in self.results})
        summary = {}
        for language in languages:
            mine = [result for result in self.results if result.query.language == language]
            summary[language] = (
                len(mine),
                _mean([result.reciprocal_rank for result in mine]),
                _mean([result.ndcg for result in mine]),
            )
        return summary


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def evaluate(
    queries: Sequence[LabelledQuery], search: Callable[[LabelledQuery], list[str]]
) -> Evaluation:
    """Run each query through ``search`` (the top results' keys) and score it."""
    results = []
    for query in queries:
        ranked = search(query)[:CUTOFF]
        results.append(
            QueryResult(
                query=query,
                ranked=ranked,
                reciprocal_rank=reciprocal_rank(ranked, query.relevant),
                ndcg=ndcg(ranked, query.relevant),
            )
        )
    return Evaluation(results)
