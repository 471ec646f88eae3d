"""SQLite FTS5: an external-content index over `search_searchdocument`, kept in step by triggers.

- Tokenizer `porter unicode61 remove_diacritics 2`: words of any script, accents ignored
  ("monetizacion" finds "monetización"), English suffixes stemmed ("hooks" finds "hook"); the
  same tokenizer reads the query, so Spanish and Portuguese words still meet their own forms.
- Ranking: `bm25` with column weights (backends.FIELD_WEIGHTS), set as the table's rank; a
  second index over title, hashtags and summary only (`search_fts_head`) finds the documents
  matching there first (backends.tiered).
- Prefix indexes of 2 and 3 characters make `"wor"*` autocomplete queries cheap.
- Highlights: `highlight()` for titles, `snippet()` for the body, `highlight()` for summaries.
- "Did you mean": a trigram FTS5 index over the vocabulary (`search_searchterm.key`) finds
  words sharing pieces with a misspelling; text.closest_word picks among them.

Every word reaches FTS5 inside double quotes, so FTS5 operators in a query (`NEAR`, `OR`, `*`,
`-`, `^`, column filters) are only words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

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
from academy.search.text import MARK_END, MARK_START, trigrams

if TYPE_CHECKING:
    from academy.search.models import SearchDocument

DOCUMENTS = "search_searchdocument"
FTS = "search_fts"
HEAD = "search_fts_head"
TERMS = "search_searchterm"
TERM_TRIGRAMS = "search_term_trigrams"
COLUMNS = ("title", "hashtags", "summary", "body")
TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3'"


def _rank(columns: tuple[str, ...]) -> str:
    return "bm25({})".format(", ".join(str(FIELD_WEIGHTS[column]) for column in columns))


def _external_content(
    index: str, content: str, columns: tuple[str, ...], options: str
) -> tuple[str, ...]:
    """An FTS5 index over the table ``content`` and the triggers keeping it in step."""
    listed = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    # Table and column names are this module's constants, never input.
    add = f"INSERT INTO {index}(rowid, {listed}) VALUES (new.id, {new});"  # noqa: S608
    remove = f"INSERT INTO {index}({index}, rowid, {listed}) VALUES ('delete', old.id, {old});"  # noqa: S608
    return (
        f"CREATE VIRTUAL TABLE {index} USING fts5({listed}, content='{content}', "
        f"content_rowid='id', {options})",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {content} BEGIN {add} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {content} BEGIN {remove} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {listed} ON {content} "
        f"BEGIN {remove} {add} END",
    )


def _trigram_index() -> tuple[str, ...]:
    """A contentless trigram index of the vocabulary's padded keys (text.padded)."""
    new, old = "'  ' || new.key || ' '", "'  ' || old.key || ' '"
    add = f"INSERT INTO {TERM_TRIGRAMS}(rowid, key) VALUES (new.id, {new});"  # noqa: S608
    remove = (
        f"INSERT INTO {TERM_TRIGRAMS}({TERM_TRIGRAMS}, rowid, key) "  # noqa: S608
        f"VALUES ('delete', old.id, {old});"
    )
    return (
        f"CREATE VIRTUAL TABLE {TERM_TRIGRAMS} USING fts5(key, content='', tokenize='trigram')",
        f"CREATE TRIGGER {TERM_TRIGRAMS}_insert AFTER INSERT ON {TERMS} BEGIN {add} END",
        f"CREATE TRIGGER {TERM_TRIGRAMS}_delete AFTER DELETE ON {TERMS} BEGIN {remove} END",
        f"CREATE TRIGGER {TERM_TRIGRAMS}_update AFTER UPDATE OF key ON {TERMS} "
        f"BEGIN {remove} {add} END",
    )


def _dropped(index: str) -> tuple[str, ...]:
    return (
        *(f"DROP TRIGGER IF EXISTS {index}_{event}" for event in ("insert", "delete", "update")),
        f"DROP TABLE IF EXISTS {index}",
    )


# The engine's structures, created by migration 0002 and again by `academy search reindex
# --rebuild`. A migration that rebuilds search_searchdocument (SQLite recreates a table to alter
# it) drops its triggers: such a migration must run CREATE_SQL again.
CREATE_SQL = (
    *_external_content(FTS, DOCUMENTS, COLUMNS, TOKENIZE),
    f"INSERT INTO {FTS}({FTS}, rank) VALUES ('rank', '{_rank(COLUMNS)}')",  # noqa: S608
    *_external_content(HEAD, DOCUMENTS, HEAD_FIELDS, TOKENIZE),
    f"INSERT INTO {HEAD}({HEAD}, rank) VALUES ('rank', '{_rank(HEAD_FIELDS)}')",  # noqa: S608
    *_trigram_index(),
)
DROP_SQL = (*_dropped(TERM_TRIGRAMS), *_dropped(HEAD), *_dropped(FTS))
REBUILD_SQL = (
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",  # noqa: S608
    f"INSERT INTO {HEAD}({HEAD}) VALUES ('rebuild')",  # noqa: S608
    f"INSERT INTO {TERM_TRIGRAMS}(rowid, key) SELECT id, '  ' || key || ' ' FROM {TERMS}",  # noqa: S608
)


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def match_expression(query: MatchQuery) -> str:
    """The FTS5 query: each word quoted, OR within a group, AND between groups."""
    parts = []
    last = len(query.groups) - 1
    for index, group in enumerate(query.groups):
        alternatives = [_quoted(word) for word in group]
        if query.prefix_last and index == last and group:
            alternatives.append(_quoted(group[0]) + "*")
        parts.append(
            alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"
        )
    return " AND ".join(parts)


def _filter_sql(filters: Filters) -> tuple[str, list[str]]:
    clauses, params = [], []
    for column in ("kind", "level", "language", "topic"):
        value = getattr(filters, column)
        if value:
            clauses.append(f" AND d.{column} = %s")
            params.append(value)
    return "".join(clauses), params


class SqliteBackend:
    vendor = "sqlite"

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db

    def _tier(
        self, index: str, expression: str, filters: Filters, *, limit: int
    ) -> list[Candidate]:
        """The ``limit`` best of the MATCH_CAP most recently indexed matches in ``index``."""
        where, params = _filter_sql(filters)
        sql = (
            "SELECT d.id, d.item, d.language, d.level, d.topic, -m.score FROM ("  # noqa: S608
            f"SELECT f.rowid AS rowid, f.rank AS score FROM {index} f "
            f"JOIN {DOCUMENTS} d ON d.id = f.rowid WHERE {index} MATCH %s{where} "
            f"ORDER BY f.rowid DESC LIMIT %s) m JOIN {DOCUMENTS} d ON d.id = m.rowid "
            "ORDER BY m.score, d.id LIMIT %s"
        )
        with self.db.cursor() as cursor:
            cursor.execute(sql, [expression, *params, max(MATCH_CAP, limit), limit])
            rows = cursor.fetchall()
        return [
            Candidate(int(pk), item, language, level, topic, max(float(score), 1e-9))
            for pk, item, language, level, topic, score in rows
        ]

    def candidates(self, query: MatchQuery, filters: Filters, *, limit: int) -> Matches:
        if not query.groups:
            return Matches([], complete=True)
        expression = match_expression(query)
        head = self._tier(HEAD, expression, filters, limit=limit)
        if len(head) >= limit:
            return tiered(head, [], limit=limit, complete=False)
        # The body tier holds every match: fewer than asked for means there are no others.
        body = self._tier(FTS, expression, filters, limit=limit + len(head))
        return tiered(head, body, limit=limit, complete=len(body) < limit + len(head))

    def candidates_many(
        self, queries: Sequence[tuple[MatchQuery, int]], filters: Filters, *, limit: int
    ) -> dict[MatchQuery, Matches]:
        """Each query in turn: SQLite has no round trips to save."""
        answers: dict[MatchQuery, Matches] = {}
        items: list[int] = []
        for query, fewer_than in queries:
            if any(found >= fewer_than for found in items) or query in answers:
                break
            answers[query] = self.candidates(query, filters, limit=limit)
            items.append(len({candidate.item for candidate in answers[query].candidates}))
        return answers

    def highlights(
        self, query: MatchQuery, documents: Sequence[SearchDocument]
    ) -> dict[int, Highlight]:
        document_ids = [int(document.pk) for document in documents]
        if not document_ids or not query.groups:
            return {}
        marks = f"'{MARK_START}', '{MARK_END}'"
        placeholders = ", ".join(["%s"] * len(document_ids))
        sql = (
            f"SELECT rowid, highlight({FTS}, 0, {marks}), "  # noqa: S608
            f"snippet({FTS}, 3, {marks}, '…', 24), highlight({FTS}, 2, {marks}) "
            f"FROM {FTS} WHERE {FTS} MATCH %s AND rowid IN ({placeholders})"
        )
        with self.db.cursor() as cursor:
            cursor.execute(sql, [match_expression(query), *document_ids])
            rows = cursor.fetchall()
        found = {}
        for document_id, title, body, summary in rows:
            snippet = body if MARK_START in (body or "") else summary
            found[int(document_id)] = Highlight(title=title or "", snippet=snippet or "")
        return found

    def similar_terms(self, key: str, *, limit: int) -> list[tuple[str, str, int]]:
        pieces = trigrams(key)
        if not pieces:
            return []
        sql = (
            f"SELECT t.key, t.word, t.documents FROM {TERM_TRIGRAMS} "  # noqa: S608
            f"JOIN {TERMS} t ON t.id = {TERM_TRIGRAMS}.rowid "
            f"WHERE {TERM_TRIGRAMS} MATCH %s ORDER BY {TERM_TRIGRAMS}.rank LIMIT %s"
        )
        with self.db.cursor() as cursor:
            cursor.execute(sql, [" OR ".join(_quoted(piece) for piece in pieces), limit])
            return [(str(k), str(w), int(n)) for k, w, n in cursor.fetchall()]

    def rebuild(self) -> None:
        with self.db.cursor() as cursor:
            for statement in (*DROP_SQL, *CREATE_SQL, *REBUILD_SQL):
                cursor.execute(statement)
