"""PostgreSQL: weighted tsvectors per document in its language, GIN-indexed, and pg_trgm.

- Each document's text is indexed through the text search configuration of its language —
  `academy_english`, `academy_spanish`, `academy_portuguese`: copies of PostgreSQL's english,
  spanish and portuguese configurations with `unaccent` in front of the stemmer, so accents are
  ignored as they are on SQLite — in generated columns, one pair per language (the others are
  NULL): `document_<lang>` holds title (weight A), hashtags (B), summary (C) and body (D);
  `head_<lang>` the first three only, so matches there come first (backends.tiered). Separate
  columns give each language its own statistics, so the planner knows that an English word is
  rare in Spanish documents and reads the GIN index instead of scanning for it.
- A query is parsed once per configuration (`websearch_to_tsquery`, which never raises on odd
  input) and matched against its own language's columns: one SELECT per language, UNION ALL.
- Ranking: `ts_rank_cd` with weights matching backends.FIELD_WEIGHTS; highlights:
  `ts_headline`.
- "Did you mean": pg_trgm similarity over the vocabulary, with a trigram GIN index.

Words reach PostgreSQL only as bound parameters, one word list per group; the only operator
in them is the `or` this module puts between words.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.backends.base.base import BaseDatabaseWrapper

from academy.search.backends import (
    FIELD_WEIGHTS,
    HEAD_FIELDS,
    MATCH_CAP,
    Candidate,
    Filters,
    Highlight,
    Matches,
    MatchQuery,
    tiered,
)
from academy.search.text import MARK_END, MARK_START, excerpt

if TYPE_CHECKING:
    from academy.search.models import SearchDocument

DOCUMENTS = "search_searchdocument"
TERMS = "search_searchterm"
CONFIGS = {"en": "academy_english", "es": "academy_spanish", "pt-br": "academy_portuguese"}
BASE_CONFIGS = {
    "academy_english": ("english", "english_stem"),
    "academy_spanish": ("spanish", "spanish_stem"),
    "academy_portuguese": ("portuguese", "portuguese_stem"),
}
# ts_rank_cd takes the weights of {D, C, B, A}: body, summary, hashtags, title, scaled to 0..1.
RANK_WEIGHTS = "{{{}}}".format(
    ", ".join(
        f"{FIELD_WEIGHTS[field] / FIELD_WEIGHTS['title']:.2f}"
        for field in ("body", "summary", "hashtags", "title")
    )
)
TRIGRAM_THRESHOLD = "0.2"
# With few expected matches a tier collects every match through the GIN index (each one costs a
# heap visit and a recheck), then takes the newest; with many, it walks the documents newest
# first until it has `cap` of them (each step tests a row, and it takes about cap x rows /
# matches steps). The two costs cross near sqrt(cap x rows) scaled by what a step costs against
# a match: 0.5, measured at 100,000 documents (docs/SEARCH.md). The planner estimates the
# matches well but not the cost of testing a tsvector, so the choice is made here.
WALK_FACTOR = 0.5
# In the EXPLAIN of the expected matches, the branch whose rows are the number of documents.
TABLE_ROWS = "documents"
EVERY_DOCUMENT = f"SELECT 1 FROM {DOCUMENTS}"  # noqa: S608
PREFIX_CONFIG = "academy_prefix"


WEIGHTS = {"title": "A", "hashtags": "B", "summary": "C", "body": "D"}


def _weighted(config: str, fields: tuple[str, ...]) -> str:
    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({field}, '')), '{WEIGHTS[field]}')"
        for field in fields
    )


# The column suffix and the condition of each content language (English takes any other).
SUFFIXES = {"en": "en", "es": "es", "pt-br": "pt"}
_OTHERS = ", ".join(f"'{language}'" for language in CONFIGS if language != "en")
CONDITIONS = {
    "en": f"language NOT IN ({_OTHERS})",
    "es": "language = 'es'",
    "pt-br": "language = 'pt-br'",
}
COLUMNS = {"document": ("title", "hashtags", "summary", "body"), "head": HEAD_FIELDS}


def generated_columns() -> list[str]:
    statements = []
    for column, fields in COLUMNS.items():
        for language, config in CONFIGS.items():
            name = f"{column}_{SUFFIXES[language]}"
            statements += [
                f"ALTER TABLE {DOCUMENTS} ADD COLUMN {name} tsvector GENERATED ALWAYS AS "
                f"(CASE WHEN {CONDITIONS[language]} THEN {_weighted(config, fields)} END) STORED, "
                f"ALTER COLUMN {name} SET STORAGE MAIN",
                f"CREATE INDEX search_{name} ON {DOCUMENTS} USING GIN ({name})",
            ]
    return statements


TSVECTOR_COLUMNS = tuple(f"{column}_{suffix}" for column in COLUMNS for suffix in SUFFIXES.values())
# The tsvectors are kept in the table's rows (STORAGE MAIN: compressed if that helps, moved out
# only when a row would not fit in a page) rather than in the TOAST table, where PostgreSQL puts
# values of over 2 kB by default: testing a match reads the tsvector of every candidate row, and
# a TOAST fetch per row made that 2 to 3 times slower at 100,000 items (docs/SEARCH.md).
INLINE_SQL = (
    f"ALTER TABLE {DOCUMENTS} "
    + ", ".join(f"ALTER COLUMN {column} SET STORAGE MAIN" for column in TSVECTOR_COLUMNS),
    # Stored values move only when their rows are written again.
    f"VACUUM (FULL, ANALYZE) {DOCUMENTS}",
)


# Created by migration 0002 and again by `academy search reindex --rebuild` (DROP_SQL first).
CREATE_SQL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    *(
        statement
        for config, (base, dictionary) in {
            **BASE_CONFIGS,
            PREFIX_CONFIG: ("simple", "simple"),
        }.items()
        for statement in (
            f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = pg_catalog.{base})",
            f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR "
            f"hword, hword_part, word WITH unaccent, {dictionary}",
        )
    ),
    *generated_columns(),
    f"CREATE INDEX search_term_key_trgm ON {TERMS} USING GIN (key gin_trgm_ops)",
)
DROP_SQL = (
    "DROP INDEX IF EXISTS search_term_key_trgm",
    *(f"ALTER TABLE {DOCUMENTS} DROP COLUMN IF EXISTS {column}" for column in TSVECTOR_COLUMNS),
    *(
        f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {config}"
        for config in (*BASE_CONFIGS, PREFIX_CONFIG)
    ),
)


def _tsquery(config: str, query: MatchQuery) -> tuple[str, list[str]]:
    """The tsquery expression of ``query`` in one configuration, with its parameters."""
    parts: list[str] = []
    params: list[str] = []
    last = len(query.groups) - 1
    for index, group in enumerate(query.groups):
        expression = f"websearch_to_tsquery('{config}'::regconfig, %s)"
        # "or" is websearch syntax; as a word it is a stop word in English anyway.
        params.append(" or ".join(word for word in group if word != "or"))
        if query.prefix_last and index == last and group:
            expression = f"({expression} || to_tsquery('{PREFIX_CONFIG}'::regconfig, %s))"
            params.append(f"{group[0]}:*")
        parts.append(expression)
    return "(" + " && ".join(parts) + ")", params


def _per_language(query: MatchQuery) -> list[tuple[str, str, list[str]]]:
    """(language, tsquery expression, parameters) for each content language."""
    return [(language, *_tsquery(config, query)) for language, config in CONFIGS.items()]


def _languages(filters: Filters) -> list[str]:
    """The content languages a query looks in, in the order of its SELECTs."""
    return [
        language for language in CONFIGS if not filters.language or filters.language == language
    ]


def _matching(
    query: MatchQuery,
    column: str,
    filters: Filters,
    *,
    select: str,
    tails: Mapping[str, str],
    languages: Sequence[str] | None = None,
) -> tuple[str, list[str]]:
    """One SELECT per content language (``_languages``, or ``languages``), matching that
    language's column with its own tsquery, joined with UNION ALL; ``tails`` orders and limits
    each."""
    where, filter_params = _filter_sql(filters)
    expressions = {
        language: (expression, params) for language, expression, params in _per_language(query)
    }
    parts, params = [], []
    for language in languages or _languages(filters):
        expression, expression_params = expressions[language]
        parts.append(
            f"(SELECT {select} FROM {DOCUMENTS} d "  # noqa: S608
            f"WHERE d.{column}_{SUFFIXES[language]} @@ {expression}{where} "
            f"{tails.get(language, '')})"
        )
        params += [*expression_params, *filter_params]
    return " UNION ALL ".join(parts), params


def _rank_case(query: MatchQuery, column: str) -> tuple[str, list[str]]:
    """ts_rank_cd of the row against its own language's column and tsquery."""
    cases, params = [], []
    for language, expression, expression_params in _per_language(query):
        rank = f"ts_rank_cd('{RANK_WEIGHTS}', d.{column}_{SUFFIXES[language]}, {expression})"
        cases.append(f"WHEN {CONDITIONS[language].replace('language', 'd.language')} THEN {rank}")
        params.extend(expression_params)
    return f"CASE {' '.join(cases)} END", params


def _query_case(query: MatchQuery) -> tuple[str, list[str]]:
    """The row's own language's tsquery, as one CASE expression."""
    cases, params = [], []
    default: tuple[str, list[str]] = ("", [])
    for language, expression, expression_params in _per_language(query):
        if language == "en":
            default = (expression, expression_params)
            continue
        cases.append(f"WHEN '{language}' THEN {expression}")
        params.extend(expression_params)
    return f"CASE d.language {' '.join(cases)} ELSE {default[0]} END", [*params, *default[1]]


CONFIG_CASE = (
    "CASE d.language "
    + " ".join(
        f"WHEN '{language}' THEN '{config}'::regconfig"
        for language, config in CONFIGS.items()
        if language != "en"
    )
    + f" ELSE '{CONFIGS['en']}'::regconfig END"
)


def _filter_sql(filters: Filters) -> tuple[str, list[str]]:
    clauses, params = [], []
    for column in ("kind", "level", "language", "topic"):
        value = getattr(filters, column)
        if value:
            clauses.append(f" AND d.{column} = %s")
            params.append(value)
    return "".join(clauses), params


# Whole texts (a title, a summary, a passage of the body) with their matches marked.
HEADLINE_OPTIONS = f'StartSel="{MARK_START}", StopSel="{MARK_END}", HighlightAll=true'


_LEXEME = re.compile(r"'((?:[^']|'')*)'")


def _lexemes(tsquery: str) -> list[str]:
    """The lexemes of a tsquery's text form ("'shot' & ( 'list' | 'list':* )")."""
    return [lexeme.replace("''", "'") for lexeme in _LEXEME.findall(tsquery)]


_SCANNED_COLUMN = re.compile(r"\b((?:document|head)_(?:en|es|pt))\b")


def _rows_by_column(node: dict[str, Any], divisor: float = 1.0) -> dict[str, float]:
    """Expected rows of each scan in a plan, keyed by the tsvector column it matches (a scan
    of every document: TABLE_ROWS).

    A scan that is parallel aware reports its rows per process; PostgreSQL's divisor (workers,
    plus the leader's share of 1 - 0.3 per worker) gives back the whole.
    """
    if "Workers Planned" in node:
        workers = int(node["Workers Planned"])
        divisor = workers + max(0.0, 1.0 - 0.3 * workers)
    found: dict[str, float] = {}
    condition = " ".join(str(node.get(key, "")) for key in ("Recheck Cond", "Filter", "Index Cond"))
    column = _SCANNED_COLUMN.search(condition)
    scale = divisor if node.get("Parallel Aware") else 1.0
    if column and "Relation Name" in node:
        found[column.group(1)] = float(node["Plan Rows"]) * scale
    elif node.get("Relation Name") == DOCUMENTS and not condition.strip():
        found[TABLE_ROWS] = float(node["Plan Rows"]) * scale
    for child in node.get("Plans", []):
        found.update(_rows_by_column(child, divisor))
    return found


# PostgreSQL compiles a statement to machine code (JIT) when its estimated cost passes
# jit_above_cost (100,000 by default). Walks of the three languages and estimates of common
# words pass it, and compiling costs 2-3 ms, more than running them (docs/SEARCH.md). Matching
# statements and their EXPLAINs run with JIT off: SET LOCAL in the same query string holds for
# that statement only (a query string of several statements is one transaction).
WITHOUT_JIT = "SET LOCAL jit = off; "


def _execute(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """Run ``sql`` without JIT; the cursor is left on its results."""
    cursor.execute(WITHOUT_JIT + sql, params)
    cursor.nextset()


def _bounds(queries: Sequence[tuple[MatchQuery, int]], number: int) -> list[int]:
    """When query ``number`` of a chain (query, fewer_than) is asked for: when each query
    before it found fewer items than these, so that every query from the one after it to
    ``number`` was asked for (a query is asked for when all before it found fewer items than
    its ``fewer_than``)."""
    return [
        min(fewer_than for _query, fewer_than in queries[before + 1 : number + 1])
        for before in range(number)
    ]


def _content_language(language: str) -> str:
    """The content language whose configuration indexes a document (English: any other)."""
    return language if language in CONFIGS else "en"


def _best_first(candidate: Candidate) -> tuple[float, int]:
    return (-candidate.text_score, candidate.document_id)


@dataclass
class _WordEstimates:
    """What the planner expects of single words, as of one index version: documents matching
    each (word, filters, column, language), documents with a value in each (filters, column,
    language), every document, and each word's lexemes in each configuration (none: a stop
    word)."""

    version: int
    rows: dict[tuple[str, Filters, str, str], float] = field(default_factory=dict)
    valued: dict[tuple[Filters, str, str], float] = field(default_factory=dict)
    documents: float | None = None
    lexemes: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


class _WordEstimatesCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.estimates: _WordEstimates | None = None

    def current(self, version: int) -> _WordEstimates:
        with self.lock:
            if (
                self.estimates is None
                or self.estimates.version != version
                or len(self.estimates.rows) > WORD_ESTIMATES
            ):  # (entries are never removed: a search holding the old one can go on with it)
                self.estimates = _WordEstimates(version=version)
            return self.estimates


_word_estimates = _WordEstimatesCache()
# Words are estimated alone and combined as PostgreSQL combines them (tsquerysel: a match of
# all the groups has the product of their selectivities, a group of words 1 - the product of
# their misses), so a query of known words needs no EXPLAIN. Per index version, and bounded:
# past this many entries the cache starts again.
WORD_ESTIMATES = 50_000


class PostgresBackend:
    vendor = "postgresql"

    def __init__(self, db: BaseDatabaseWrapper, *, version: int | None = None) -> None:
        self.db = db
        self.version = version

    def _plan(self, sql: str, params: Sequence[str]) -> dict[str, Any]:
        with self.db.cursor() as cursor:
            _execute(cursor, f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        top: dict[str, Any] = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        return top

    def _expected_matches(
        self, queries: Sequence[MatchQuery], filters: Filters
    ) -> tuple[list[dict[tuple[str, str], float]], float]:
        """``_planned_matches``, from the words' estimates when the index version is known and
        no query completes a prefix."""
        if self.version is None or any(query.prefix_last for query in queries):
            return self._planned_matches(queries, filters)
        estimates = _word_estimates.current(self.version)
        keys = [(column, language) for column in COLUMNS for language in _languages(filters)]
        words = {word for query in queries for group in query.groups for word in group}
        self._estimate_words(estimates, sorted(words), filters, keys)
        assert estimates.documents is not None
        expected = []
        for query in queries:
            found = {}
            for column, language in keys:
                config = CONFIGS[language]
                selectivity = 1.0
                valued = estimates.valued[(filters, column, language)]
                kept = [
                    [word for word in group if word != "or" and estimates.lexemes[(config, word)]]
                    for group in query.groups
                ]
                for group in (group for group in kept if group):
                    misses = 1.0
                    for word in group:
                        rows = estimates.rows[(word, filters, column, language)]
                        misses *= 1.0 - min(1.0, rows / valued) if valued else 1.0
                    selectivity *= 1.0 - misses
                found[(column, language)] = valued * selectivity if any(kept) else 0.0
            expected.append(found)
        return expected, estimates.documents

    def _estimate_words(
        self,
        estimates: _WordEstimates,
        words: Sequence[str],
        filters: Filters,
        keys: Sequence[tuple[str, str]],
    ) -> None:
        """Add what ``estimates`` lacks for ``words`` under ``filters``: one round trip, the
        words' lexemes in each configuration and an EXPLAIN of each word's match alone in each
        column and language, of each column's documents with a value and of every document."""
        new = [word for word in words if (word, filters, *keys[0]) not in estimates.rows]
        valued = [key for key in keys if (filters, *key) not in estimates.valued]
        if not new and not valued and estimates.documents is not None:
            return
        where, filter_params = _filter_sql(filters)
        branches: list[tuple[str, list[str]]] = []
        for word in new:
            single = MatchQuery(groups=((word,),))
            branches += [
                _matching(single, column, filters, select="1", tails={}, languages=[language])
                for column, language in keys
            ]
        for column, language in valued:
            branches.append(
                (
                    f"(SELECT 1 FROM {DOCUMENTS} d "  # noqa: S608
                    f"WHERE d.{column}_{SUFFIXES[language]} IS NOT NULL{where})",
                    list(filter_params),
                )
            )
        pairs = [(config, word) for word in new for config in CONFIGS.values()]
        lexemes_sql = "SELECT " + (
            ", ".join(
                f"websearch_to_tsquery('{config}'::regconfig, %s)::text" for config, _ in pairs
            )
            or "1"
        )
        with self.db.cursor() as cursor:
            _execute(
                cursor,
                f"{lexemes_sql}; EXPLAIN (FORMAT JSON) "
                + " UNION ALL ".join([*(sql for sql, _params in branches), EVERY_DOCUMENT]),
                [word for _config, word in pairs]
                + [param for _sql, params in branches for param in params],
            )
            texts = cursor.fetchone()
            cursor.nextset()
            plan = cursor.fetchone()[0]
        top: dict[str, Any] = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        children = top.get("Plans", []) if top.get("Node Type") == "Append" else []
        found: list[dict[str, float]] = (
            [_rows_by_column(child) for child in children]
            if len(children) == len(branches) + 1
            else [{} for _ in range(len(branches) + 1)]
        )
        for number, (sql, params) in enumerate(branches):
            rows = found[number].get(_SCANNED_COLUMN.search(sql).group(1))  # type: ignore[union-attr]
            if rows is None:  # not found in the plan's shape: ask for this one alone
                rows = float(self._plan(sql, params)["Plan Rows"])
            if number < len(new) * len(keys):
                column, language = keys[number % len(keys)]
                estimates.rows[(new[number // len(keys)], filters, column, language)] = rows
            else:
                estimates.valued[(filters, *valued[number - len(new) * len(keys)])] = rows
        documents = found[-1].get(TABLE_ROWS)
        estimates.documents = documents or float(self._plan(EVERY_DOCUMENT, [])["Plan Rows"])
        for (config, word), text in zip(pairs, texts if pairs else [], strict=True):
            estimates.lexemes[(config, word)] = tuple(_lexemes(str(text)))

    def _planned_matches(
        self, queries: Sequence[MatchQuery], filters: Filters
    ) -> tuple[list[dict[tuple[str, str], float]], float]:
        """How many documents of each language PostgreSQL expects each tier's column to match
        for each of ``queries`` (its own statistics and stop words), keyed by (column,
        language), and how many documents there are: one EXPLAIN of every query's, tier's and
        language's bare match and of a scan of every document (the planner's count, which
        follows the table's size between ANALYZEs), each branch's rows read from its place
        under the plan's Append."""
        keys = [(column, language) for column in COLUMNS for language in _languages(filters)]
        branches = [
            _matching(query, column, filters, select="1", tails={}, languages=[language])
            for query in queries
            for column, language in keys
        ]
        plan = self._plan(
            " UNION ALL ".join([*(sql for sql, _params in branches), EVERY_DOCUMENT]),
            [param for _sql, params in branches for param in params],
        )
        children = plan.get("Plans", []) if plan.get("Node Type") == "Append" else []
        found: list[dict[str, float]] = (
            [_rows_by_column(child) for child in children]
            if len(children) == len(branches) + 1
            else [{} for _ in range(len(branches) + 1)]
        )
        table_rows = found[-1].get(TABLE_ROWS)
        if table_rows is None:  # not found in the plan's shape: ask for it alone
            table_rows = float(self._plan(EVERY_DOCUMENT, [])["Plan Rows"])
        expected: list[dict[tuple[str, str], float]] = [{} for _ in queries]
        for number, (sql, params) in enumerate(branches):
            column, language = key = keys[number % len(keys)]
            rows = found[number].get(f"{column}_{SUFFIXES[language]}")
            if rows is None:  # not found in the plan's shape: ask for this one alone
                rows = float(self._plan(sql, params)["Plan Rows"])
            expected[number // len(keys)][key] = rows
        return expected, table_rows

    def _tier_sql(
        self,
        column: str,
        query: MatchQuery,
        filters: Filters,
        *,
        limit: int | str,
        cap: int | str,
        expected: Mapping[tuple[str, str], float],
        documents: float,
        expected_cap: int,
        label: str = "",
    ) -> tuple[str, list[str]]:
        """The SELECT of the ``limit`` best of the ``cap`` most recently indexed matches on
        ``column`` (numbers, or SQL expressions giving them), each row starting with
        ``label``."""
        walk_from = WALK_FACTOR * math.sqrt(expected_cap * documents)
        # "d.id + 0" cannot come from the primary key's order: the GIN index must find them.
        tails = {
            language: f"ORDER BY {'d.id' if rows >= walk_from else 'd.id + 0'} DESC LIMIT {cap}"
            for (tier, language), rows in expected.items()
            if tier == column
        }
        matching, match_params = _matching(query, column, filters, select="d.id", tails=tails)
        ranked, rank_params = _rank_case(query, column)
        sql = (
            f"SELECT '{label}' AS tier, d.id, d.item, d.language, d.level, d.topic, "  # noqa: S608
            f"{ranked} AS score FROM ("
            f"SELECT id FROM ({matching}) u ORDER BY id DESC LIMIT {cap}"
            f") c JOIN {DOCUMENTS} d ON d.id = c.id ORDER BY score DESC, d.id LIMIT {limit}"
        )
        return sql, [*rank_params, *match_params]

    def _rows(self, sql: str, params: Sequence[str]) -> list[tuple[str, Candidate]]:
        with self.db.cursor() as cursor:
            _execute(cursor, sql, params)
            rows = cursor.fetchall()
        return [
            (tier, Candidate(int(pk), item, language, level, topic, max(float(score), 1e-9)))
            for tier, pk, item, language, level, topic, score in rows
        ]

    def _tiers_sql(
        self,
        number: int,
        query: MatchQuery,
        filters: Filters,
        *,
        limit: int,
        expected: Mapping[tuple[str, str], float],
        documents: float,
    ) -> tuple[str, list[str], bool]:
        """Query ``number``'s tiers as CTEs: ``head<number>``, its head tier (rows labelled
        ``<number>h``), and ``found<number>``, the head's rows and, when the head is expected
        to be short, the body tier as ``_tier`` would give it after the head (its cap and limit
        count the head's matches in SQL; rows labelled ``<number>b``). With their parameters,
        and whether the body tier is included."""
        cap = max(MATCH_CAP, limit)
        head = f"head{number:d}"
        expected_head = sum(
            rows for (column, _language), rows in expected.items() if column == "head"
        )
        head_sql, head_params = self._tier_sql(
            "head", query, filters, limit=limit, cap=cap, expected=expected,
            documents=documents, expected_cap=cap, label=f"{number:d}h",
        )  # fmt: skip
        ctes = f"{head} AS MATERIALIZED ({head_sql}), found{number:d} AS MATERIALIZED ("
        if expected_head >= limit:  # the head will most likely fill the page by itself
            return f"{ctes}SELECT * FROM {head})", head_params, False  # noqa: S608
        body_sql, body_params = self._tier_sql(
            "document", query, filters,
            limit=f"(SELECT {limit:d} + count(*) FROM {head})",  # noqa: S608
            cap=f"(SELECT greatest({MATCH_CAP:d}, {limit:d} + count(*)) FROM {head})",  # noqa: S608
            expected=expected, documents=documents,
            expected_cap=max(MATCH_CAP, limit + round(expected_head)),
            label=f"{number:d}b",
        )  # fmt: skip
        ctes += f"SELECT * FROM {head} UNION ALL ({body_sql}))"  # noqa: S608
        return ctes, [*head_params, *body_params], True

    def _tier(
        self,
        column: str,
        query: MatchQuery,
        filters: Filters,
        *,
        limit: int,
        expected: Mapping[tuple[str, str], float],
        documents: float,
    ) -> list[Candidate]:
        """The ``limit`` best of the MATCH_CAP most recently indexed matches on ``column``."""
        cap = max(MATCH_CAP, limit)
        sql, params = self._tier_sql(
            column,
            query,
            filters,
            limit=limit,
            cap=cap,
            expected=expected,
            documents=documents,
            expected_cap=cap,
        )
        return [candidate for _tier, candidate in self._rows(sql, params)]

    def candidates(self, query: MatchQuery, filters: Filters, *, limit: int) -> Matches:
        return self.candidates_many([(query, 0)], filters, limit=limit)[query]

    def candidates_many(
        self, queries: Sequence[tuple[MatchQuery, int]], filters: Filters, *, limit: int
    ) -> dict[MatchQuery, Matches]:
        """One EXPLAIN of every query, then one statement: each query's tiers as CTEs, each
        query after the first selected only when it would be asked for (``_needed``).
        PostgreSQL evaluates such a condition once, before reading the CTEs it guards, in order
        (CASE), so a query not needed costs nothing."""
        wanted: list[tuple[MatchQuery, int]] = []
        for query, fewer_than in queries:
            if not query.groups or any(query == known for known, _ in wanted):
                break
            wanted.append((query, fewer_than))
        if not wanted:
            return {query: Matches([], complete=True) for query, _ in queries[:1]}
        estimates, documents = self._expected_matches([query for query, _ in wanted], filters)
        ctes: list[str] = []
        selects: list[str] = []
        with_body: list[bool] = []
        params: list[str] = []
        for number, ((query, _fewer_than), expected) in enumerate(
            zip(wanted, estimates, strict=True)
        ):
            cte, cte_params, has_body = self._tiers_sql(
                number, query, filters, limit=limit, expected=expected, documents=documents
            )
            ctes.append(cte)
            params += cte_params
            with_body.append(has_body)
            select = f"SELECT * FROM found{number:d}"  # noqa: S608
            if number:
                condition = "true"
                for before, bound in reversed(list(enumerate(_bounds(wanted, number)))):
                    counted = f"(SELECT count(DISTINCT item) FROM found{before:d})"  # noqa: S608
                    condition = f"CASE WHEN {counted} < {bound:d} THEN {condition} ELSE false END"
                select += f" WHERE {condition}"
            selects.append(f"({select})")
        rows = self._rows(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
        by_label: dict[str, list[Candidate]] = {}
        for label, candidate in rows:
            by_label.setdefault(label, []).append(candidate)
        answers: dict[MatchQuery, Matches] = {}
        items: list[int] = []  # items found by each query before
        for number, ((query, _fewer_than), expected) in enumerate(
            zip(wanted, estimates, strict=True)
        ):
            if not all(
                found < bound for found, bound in zip(items, _bounds(wanted, number), strict=True)
            ):
                break  # not selected, nor any after it
            # (The statement counted a head without its body tier, so it may have selected a
            # query that the counts with the body leave out here: its rows are not used.)
            head = sorted(by_label.get(f"{number}h", []), key=_best_first)  # each tier's ORDER BY
            body = sorted(by_label.get(f"{number}b", []), key=_best_first)
            if len(head) < limit and not with_body[number]:
                body = self._tier(
                    "document", query, filters, limit=limit + len(head), expected=expected,
                    documents=documents,
                )  # fmt: skip
            items.append(len({candidate.item for candidate in [*head, *body]}))
            if len(head) >= limit:
                answers[query] = tiered(head, [], limit=limit, complete=False)
                continue
            # The body tier holds every match: fewer than asked for means there are no others.
            answers[query] = tiered(head, body, limit=limit, complete=len(body) < limit + len(head))
        return answers

    def _query_lexemes(self, query: MatchQuery) -> dict[str, list[str]]:
        """The lexemes of ``query`` in each content language: from the words' lexemes cached
        with their estimates, or else from PostgreSQL (the tsquery as text)."""
        groups = [[word for word in group if word != "or"] for group in query.groups]
        if self.version is not None and not query.prefix_last:
            cached = _word_estimates.current(self.version).lexemes
            if all(
                (config, word) in cached
                for config in CONFIGS.values()
                for g in groups
                for word in g
            ):
                return {
                    language: list(
                        dict.fromkeys(
                            lexeme
                            for g in groups
                            for word in g
                            for lexeme in cached[(config, word)]
                        )
                    )
                    for language, config in CONFIGS.items()
                }
        per_language = _per_language(query)
        with self.db.cursor() as cursor:
            cursor.execute(
                "SELECT "
                + ", ".join(f"({expression})::text" for _l, expression, _p in per_language),
                [param for _l, _e, params in per_language for param in params],
            )
            texts = cursor.fetchone()
        return {
            language: _lexemes(str(text))
            for (language, _e, _p), text in zip(per_language, texts, strict=True)
        }

    def highlights(
        self, query: MatchQuery, documents: Sequence[SearchDocument]
    ) -> dict[int, Highlight]:
        """ts_headline over the title, the summary and a passage of the body: text.excerpt
        finds it from the query's lexemes in the document's language, and ts_headline marks
        what matches in it, so a result's cost does not grow with its body."""
        if not documents or not query.groups:
            return {}
        lexemes = self._query_lexemes(query)
        typed = [word for group in query.groups for word in group]
        passages = {
            int(document.pk): excerpt(
                document.body or "", lexemes[_content_language(document.language)], typed
            )
            or ""
            for document in documents
        }
        tsquery, params = _query_case(query)
        marks = HEADLINE_OPTIONS
        ids = list(passages)
        # The summary is the snippet only when the passage has no match: marked only then
        # (OFFSET 0 keeps the passage's headline from being computed twice).
        sql = (
            f"SELECT d.id, ts_headline({CONFIG_CASE}, d.title, {tsquery}, %s), h.passage, "  # noqa: S608
            f"CASE WHEN strpos(h.passage, %s) > 0 THEN NULL "
            f"ELSE ts_headline({CONFIG_CASE}, d.summary, {tsquery}, %s) END "
            f"FROM unnest(%s::bigint[], %s::text[]) AS e(id, passage) "
            f"JOIN {DOCUMENTS} d ON d.id = e.id CROSS JOIN LATERAL ("
            f"SELECT ts_headline({CONFIG_CASE}, e.passage, {tsquery}, %s) AS passage OFFSET 0) h"
        )
        with self.db.cursor() as cursor:
            cursor.execute(
                sql,
                [*params, marks, MARK_START, *params, marks, ids, [passages[pk] for pk in ids],
                 *params, marks],
            )  # fmt: skip
            rows = cursor.fetchall()
        found = {}
        for document_id, title, body, summary in rows:
            snippet = body if MARK_START in (body or "") else summary
            found[int(document_id)] = Highlight(title=title or "", snippet=snippet or "")
        return found

    def similar_terms(self, key: str, *, limit: int) -> list[tuple[str, str, int]]:
        with self.db.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, false)",
                [TRIGRAM_THRESHOLD],
            )
            cursor.execute(
                f"SELECT key, word, documents FROM {TERMS} WHERE key %% %s "  # noqa: S608
                "ORDER BY similarity(key, %s) DESC, documents DESC LIMIT %s",
                [key, key, limit],
            )
            return [(str(k), str(w), int(n)) for k, w, n in cursor.fetchall()]

    def rebuild(self) -> None:
        with self.db.cursor() as cursor:
            for statement in (*DROP_SQL, *CREATE_SQL):
                cursor.execute(statement)
