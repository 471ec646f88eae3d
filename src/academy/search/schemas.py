from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from academy.catalog.choices import Level
from academy.catalog.schemas import Language
from academy.search.text import MAX_QUERY_LENGTH

Kind = Literal["course", "video", "article", "quiz", "live", "wiki"]

QUERY_HELP = (
    f"What to search for, at most {MAX_QUERY_LENGTH} characters; any text is safe "
    "(quotes, operators and SQL are searched for as words)."
)
LOCALE_HELP = (
    "The searcher's language: results in it come first. Default: the signed-in creator's "
    "language, else English."
)


class SearchParams(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description=QUERY_HELP)
    kind: Kind | None = Field(None, description="Only this kind of content.")
    level: Level | None = Field(None, description="Only courses and lessons of this level.")
    language: Language | None = Field(None, description="Only content in this language.")
    topic: str | None = Field(None, max_length=40, description="Only this topic (its slug).")
    locale: Language | None = Field(None, description=LOCALE_HELP)
    page: int = Field(1, ge=1, le=50)
    page_size: int = Field(10, ge=1, le=50)


class SearchHitOut(Schema):
    rank: int = Field(description="Position in the whole result list, from 1.")
    item_kind: str = Field(description="course, lesson or wiki: the item kind events use.")
    item_id: str = Field(description="The item id events use (a slug, or a lesson's id).")
    kind: str = Field(description="course, video, article, quiz, live or wiki.")
    title: str
    title_html: str = Field(description="The title as HTML: text escaped, matches in <mark>.")
    snippet_html: str = Field(description="A passage as HTML: text escaped, matches in <mark>.")
    url: str = Field(description="The item's page, relative to the Academy's address.")
    language: str = Field(description="The language of this version of the item.")
    is_original: bool
    level: str
    topic: str
    topic_name: str
    hashtags: list[str]
    course_title: str = Field(description="For a lesson, its course's title.")
    score: float = Field(description="The blended ranking score (docs/SEARCH.md).")


class SearchOut(Schema):
    request_id: str = Field(description="Send it with impressions and clicks of these results.")
    query: str = Field(description="The query as searched (whitespace collapsed).")
    searched: str = Field(description="The query whose results these are.")
    corrected: bool = Field(description="True when nothing matched the query as typed and "
                            "these are the results of a spelling fix.")  # fmt: skip
    suggestion: str | None = Field(description="A spelling fix to offer: 'did you mean'.")
    hashtag: str | None = Field(description="A hashtag the query names, for a hashtag page link.")
    total: int = Field(description="How many items match (at least, when total_capped).")
    total_capped: bool = Field(
        description="True when more items match than `total`: the search looked only as far "
        "as the pages it can show. Keep paging while it is true."
    )
    page: int
    pages: int
    page_size: int
    results: list[SearchHitOut]


class SuggestParams(Schema):
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description=QUERY_HELP)
    locale: Language | None = Field(None, description=LOCALE_HELP)


class SuggestionOut(Schema):
    text: str
    kind: str = Field(description="'query' for a completed query, else the item's kind.")
    url: str | None = Field(description="The item's page; null for a completed query.")


class SuggestOut(Schema):
    query: str
    suggestions: list[SuggestionOut]


class HashtagParams(Schema):
    locale: Language | None = Field(None, description=LOCALE_HELP)
    page: int = Field(1, ge=1, le=50)
    page_size: int = Field(10, ge=1, le=50)


class RelatedHashtagOut(Schema):
    tag: str
    items: int = Field(description="How many of this hashtag's items also carry it.")


class HashtagOut(Schema):
    request_id: str = Field(description="Send it with impressions and clicks of these results.")
    tag: str = Field(description="The hashtag, normalised (no '#', case-folded).")
    total: int
    page: int
    pages: int
    page_size: int
    results: list[SearchHitOut]
    related: list[RelatedHashtagOut]


class EntryPointSearchParams(Schema):
    creator: str = Field(min_length=1, max_length=64, description="The host app's creator id.")
    q: str = Field(max_length=MAX_QUERY_LENGTH, description=QUERY_HELP)
    limit: int = Field(5, ge=1, le=20, description="How many results to blend in.")


class EntryPointSearchOut(Schema):
    request_id: str = Field(
        description="Attach it, with entry_point 'search', to impression and click events."
    )
    creator: str
    query: str
    searched: str
    corrected: bool
    total: int
    total_capped: bool
    results: list[SearchHitOut]
