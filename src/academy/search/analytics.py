"""Search analytics from the events lake: top queries, click-through, and the content gaps.

A search is a `search` event (properties `query`, `results`); it was clicked when a
`search_click` event, or a tracker `click` with entry point `search`, carries its request id.
Queries are compared case-folded with whitespace collapsed. Events reach the lake when the
worker compacts the capture log (every few minutes), so this page trails live traffic a little.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from academy.events.query import QueryEngine, default_engine

MAX_RANGE_DAYS = 366
LIST_LENGTH = 25
# A query with at least this many searches that found something, of which fewer than this share
# were clicked, is a "low-click" query: results exist but do not answer it.
LOW_CLICK_MIN_SEARCHES = 3
LOW_CLICK_CTR = 0.2

# DuckDB's JSON and regular-expression functions read the properties; a warehouse engine
# spells them differently (Spark: get_json_object), the rest is portable.
QUERY = r"""
WITH searches AS (
    SELECT request_id,
           lower(regexp_replace(trim(json_extract_string(properties, '$.query')), '\s+', ' ',
                 'g')) AS query,
           TRY_CAST(json_extract_string(properties, '$.results') AS BIGINT) AS results
    FROM events
    WHERE name = 'search'
), opened AS (
    SELECT request_id, COUNT(DISTINCT item_kind || ':' || item_id) AS clicks
    FROM events
    WHERE request_id <> ''
      AND (name = 'search_click' OR (name = 'click' AND entry_point = 'search'))
    GROUP BY request_id
)
SELECT s.query,
       COUNT(*) AS searches,
       SUM(CASE WHEN s.results = 0 THEN 1 ELSE 0 END) AS zero_result,
       SUM(CASE WHEN o.clicks > 0 THEN 1 ELSE 0 END) AS clicked,
       COALESCE(SUM(o.clicks), 0) AS clicks
FROM searches s LEFT JOIN opened o ON o.request_id = s.request_id
WHERE s.query IS NOT NULL AND s.query <> ''
GROUP BY s.query
"""


@dataclass(frozen=True)
class QueryStats:
    query: str
    searches: int
    zero_result: int
    clicked: int
    clicks: int

    @property
    def ctr(self) -> float:
        """Click-through: the share of this query's searches that led to at least one click."""
        return self.clicked / self.searches if self.searches else 0.0

    @property
    def ctr_percent(self) -> int:
        return round(self.ctr * 100)

    @property
    def with_results(self) -> int:
        return self.searches - self.zero_result


@dataclass(frozen=True)
class ContentGaps:
    start: date
    end: date
    searches: int
    clicked: int
    zero_result: int
    queries: int
    top: list[QueryStats]
    zero_results: list[QueryStats]
    low_click: list[QueryStats]

    @property
    def ctr(self) -> float:
        return self.clicked / self.searches if self.searches else 0.0

    @property
    def ctr_percent(self) -> int:
        return round(self.ctr * 100)


def _days(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def query_stats(
    *, events_dir: Path, start: date, end: date, engine: QueryEngine | None = None
) -> list[QueryStats]:
    """Every query searched from ``start`` to ``end`` (UTC days, inclusive), most searched
    first."""
    with engine or default_engine() as reader:
        if not reader.register_lake(events_dir, days=_days(start, end)):
            return []
        rows = reader.query(f"{QUERY} ORDER BY searches DESC, query")
    return [QueryStats(str(q), int(s), int(z), int(c), int(n)) for q, s, z, c, n in rows]


def content_gaps(
    *, events_dir: Path, start: date, end: date, limit: int = LIST_LENGTH
) -> ContentGaps:
    """Top queries, zero-result queries and low-click queries, with their counts."""
    return gaps_from_stats(
        query_stats(events_dir=events_dir, start=start, end=end), start, end, limit
    )


def gaps_from_stats(
    stats: list[QueryStats], start: date, end: date, limit: int = LIST_LENGTH
) -> ContentGaps:
    """The content gaps of a period from its per-query statistics (most searched first)."""
    zero = sorted(
        (item for item in stats if item.zero_result),
        key=lambda item: (-item.zero_result, item.query),
    )
    low = sorted(
        (
            item
            for item in stats
            if item.with_results >= LOW_CLICK_MIN_SEARCHES and item.ctr < LOW_CLICK_CTR
        ),
        key=lambda item: (-item.with_results, item.ctr, item.query),
    )
    return ContentGaps(
        start=start,
        end=end,
        searches=sum(item.searches for item in stats),
        clicked=sum(item.clicked for item in stats),
        zero_result=sum(item.zero_result for item in stats),
        queries=len(stats),
        top=stats[:limit],
        zero_results=zero[:limit],
        low_click=low[:limit],
    )
