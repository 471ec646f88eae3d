"""PostgreSQL: a weighted tsvector per document in its language, GIN-indexed, and pg_trgm.

- `search_searchdocument.document` is a generated column: title (weight A), hashtags (B),
  summary (C) and body (D), each through the text search configuration of the row's language;
  `head` holds the first three only, so matches there come first (backends.tiered) —
  `academy_english`, `academy_spanish`, `academy_portuguese`: copies of PostgreSQL's english,
  spanish and portuguese configurations with `unaccent` in front of the stemmer, so accents are
  ignored as they are on SQLite.
- A query is parsed once per configuration (`websearch_to_tsquery`, which never raises on odd
  input) and each document is matched with the query of its own language.
- Ranking: `ts_rank_cd` with weights matching backends.FIELD_WEIGHTS; highlights:
  `ts_headline`.
- "Did you mean": pg_trgm similarity over the vocabulary, with a trigram GIN index.

Words reach PostgreSQL only as bound parameters, one word list per group; the only operator
in them is the `or` this module puts between words.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from academy.search.backends import (
    COUNT_CAP,
    FIELD_WEIGHTS,
    HEAD_FIELDS,
    MATCH_CAP,
    Candidate,
    Filters,
    Highlight,
    MatchQuery,
    tiered,
)
from academy.search.text import MARK_END, MARK_START

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
PREFIX_CONFIG = "academy_prefix"


WEIGHTS = {"title": "A", "hashtags": "B", "summary": "C", "body": "D"}


def _weighted(config: str, fields: tuple[str, ...]) -> str:
    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({field}, '')), '{WEIGHTS[field]}')"
        for field in fields
    )


def _generated_column_sql(column: str, fields: tuple[str, ...]) -> str:
    cases = " ".join(
        f"WHEN '{language}' THEN {_weighted(config, fields)}"
        for language, config in CONFIGS.items()
        if language != "en"
    )
    return (
        f"ALTER TABLE {DOCUMENTS} ADD COLUMN {column} tsvector GENERATED ALWAYS AS "
        f"(CASE language {cases} ELSE {_weighted(CONFIGS['en'], fields)} END) STORED"
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
    _generated_column_sql("document", ("title", "hashtags", "summary", "body")),
    _generated_column_sql("head", HEAD_FIELDS),
    f"CREATE INDEX search_document_fts ON {DOCUMENTS} USING GIN (document)",
    f"CREATE INDEX search_document_head ON {DOCUMENTS} USING GIN (head)",
    f"CREATE INDEX search_term_key_trgm ON {TERMS} USING GIN (key gin_trgm_ops)",
)
DROP_SQL = (
    "DROP INDEX IF EXISTS search_term_key_trgm",
    "DROP INDEX IF EXISTS search_document_head",
    "DROP INDEX IF EXISTS search_document_fts",
    f"ALTER TABLE {DOCUMENTS} DROP COLUMN IF EXISTS head",
    f"ALTER TABLE {DOCUMENTS} DROP COLUMN IF EXISTS document",
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


def _match_sql(query: MatchQuery, column: str = "document") -> tuple[str, list[str]]:
    clauses, params = [], []
    others = ", ".join(f"'{language}'" for language in CONFIGS if language != "en")
    for language, expression, expression_params in _per_language(query):
        condition = (
            f"d.language NOT IN ({others})" if language == "en" else f"d.language = '{language}'"
        )
        clauses.append(f"({condition} AND d.{column} @@ {expression})")
        params.extend(expression_params)
    return "(" + " OR ".join(clauses) + ")", params


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


def _headline_options(fragment: bool) -> str:
    marks = f'StartSel="{MARK_START}", StopSel="{MARK_END}"'
    if fragment:
        return f"{marks}, MaxFragments=1, MaxWords=30, MinWords=12"
    return f"{marks}, HighlightAll=true"


class PostgresBackend:
    vendor = "postgresql"

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db

    def _tier(
        self, column: str, query: MatchQuery, filters: Filters, *, limit: int
    ) -> list[Candidate]:
        """The ``limit`` best of the MATCH_CAP most recently indexed matches on ``column``."""
        match, match_params = _match_sql(query, column)
        ranked, rank_params = _query_case(query)
        where, filter_params = _filter_sql(filters)
        sql = (
            "SELECT d.id, d.item, d.language, d.level, d.topic, "  # noqa: S608
            f"ts_rank_cd('{RANK_WEIGHTS}', d.{column}, {ranked}) AS score FROM ("
            f"SELECT d.id FROM {DOCUMENTS} d WHERE {match}{where} ORDER BY d.id DESC LIMIT %s"
            f") c JOIN {DOCUMENTS} d ON d.id = c.id ORDER BY score DESC, d.id LIMIT %s"
        )
        params: list[str | int] = [*rank_params, *match_params, *filter_params]
        params += [max(MATCH_CAP, limit), limit]
        with self.db.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [
            Candidate(int(pk), item, language, level, topic, max(float(score), 1e-9))
            for pk, item, language, level, topic, score in rows
        ]

    def candidates(self, query: MatchQuery, filters: Filters, *, limit: int) -> list[Candidate]:
        if not query.groups:
            return []
        head = self._tier("head", query, filters, limit=limit)
        body = (
            self._tier("document", query, filters, limit=limit + len(head))
            if len(head) < limit
            else []
        )
        return tiered(head, body, limit=limit)

    def count_items(self, query: MatchQuery, filters: Filters) -> tuple[int, bool]:
        if not query.groups:
            return 0, False
        match, match_params = _match_sql(query)
        where, filter_params = _filter_sql(filters)
        sql = (
            "SELECT COUNT(*), COUNT(DISTINCT item) FROM ("  # noqa: S608
            f"SELECT d.item FROM {DOCUMENTS} d WHERE {match}{where} LIMIT %s) s"
        )
        with self.db.cursor() as cursor:
            cursor.execute(sql, [*match_params, *filter_params, COUNT_CAP + 1])
            documents, items = cursor.fetchone()
        return int(items), documents > COUNT_CAP

    def highlights(self, query: MatchQuery, document_ids: list[int]) -> dict[int, Highlight]:
        if not document_ids or not query.groups:
            return {}
        tsquery, params = _query_case(query)
        whole, fragment = _headline_options(False), _headline_options(True)
        placeholders = ", ".join(["%s"] * len(document_ids))
        sql = (
            f"SELECT d.id, ts_headline({CONFIG_CASE}, d.title, {tsquery}, %s), "  # noqa: S608
            f"ts_headline({CONFIG_CASE}, d.body, {tsquery}, %s), "
            f"ts_headline({CONFIG_CASE}, d.summary, {tsquery}, %s) "
            f"FROM {DOCUMENTS} d WHERE d.id IN ({placeholders})"
        )
        with self.db.cursor() as cursor:
            cursor.execute(sql, [*params, whole, *params, fragment, *params, whole, *document_ids])
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
