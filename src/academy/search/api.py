"""JSON API of search: `/search`, `/search/suggest`, `/hashtags/{tag}` for the web app and host
apps (an API key or a session, like the catalog API), and the host app's search entry point
`/entry-points/search` (scope `search:read`), which answers for a named creator.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from academy.accounts.choices import ApiScope
from academy.accounts.models import Creator
from academy.accounts.selectors import creator_for_user, creator_get
from academy.core.auth import Principal, principal_of, require_scope
from academy.core.errors import NotFound
from academy.core.schemas import PROBLEM_RESPONSES
from academy.search.schemas import (
    EntryPointSearchOut,
    EntryPointSearchParams,
    HashtagOut,
    HashtagParams,
    RelatedHashtagOut,
    SearchHitOut,
    SearchOut,
    SearchParams,
    SuggestionOut,
    SuggestOut,
    SuggestParams,
)
from academy.search.selectors import (
    SearchHit,
    hashtag_page,
    search_documents,
    search_filters,
    search_suggestions,
    searcher_profile,
)
from academy.search.services import Searcher, new_request_id, search_logged

router = Router(tags=["search"])


def _hit(hit: SearchHit) -> SearchHitOut:
    return SearchHitOut(
        rank=hit.rank, item_kind=hit.item_kind, item_id=hit.item_id, kind=hit.kind,
        title=hit.title, title_html=hit.title_html, snippet_html=hit.snippet_html, url=hit.url,
        language=hit.language, is_original=hit.is_original, level=hit.level, topic=hit.topic,
        topic_name=hit.topic_name, hashtags=hit.hashtags, course_title=hit.parent_title,
        score=hit.score,
    )  # fmt: skip


def _caller(principal: Principal, locale: str | None) -> tuple[Creator | None, Searcher]:
    """The signed-in creator (if any) and who the events name: the creator, else the caller."""
    creator = None
    if principal.kind == "user" and principal.user is not None:
        creator = creator_for_user(user=principal.user)
    language = locale or (creator.language if creator else "en")
    if creator is not None:
        return creator, Searcher(creator=creator, language=language)
    caller = (
        f"api-key-{principal.api_key.prefix}"
        if principal.api_key is not None
        else f"user-{principal.user.pk if principal.user else 0}"
    )
    return None, Searcher(anonymous_id=caller, language=language)


@router.get(
    "/search",
    response={200: SearchOut, **PROBLEM_RESPONSES},
    operation_id="search",
    summary="Search courses, lessons and wiki articles: ranked, highlighted, with filters",
)
def search(request: HttpRequest, params: Query[SearchParams]) -> SearchOut:
    creator, searcher = _caller(principal_of(request), params.locale)
    filters = search_filters(
        kind=params.kind, level=params.level, language=params.language, topic=params.topic
    )
    results = search_documents(
        query=params.q,
        profile=searcher_profile(creator=creator, language=searcher.language),
        filters=filters,
        page=params.page,
        page_size=params.page_size,
    )
    request_id = new_request_id()
    if not results.query.is_empty:
        search_logged(
            searcher=searcher, query=results.query.text, results=results.total,
            request_id=request_id, surface="api", details={"page": results.page},
        )  # fmt: skip
    return SearchOut(
        request_id=request_id, query=results.query.text, searched=results.searched,
        corrected=results.corrected, suggestion=results.suggestion, hashtag=results.hashtag,
        total=results.total, total_capped=results.more, page=results.page, pages=results.pages,
        page_size=results.page_size, results=[_hit(hit) for hit in results.hits],
    )  # fmt: skip


@router.get(
    "/search/suggest",
    response={200: SuggestOut, **PROBLEM_RESPONSES},
    operation_id="search_suggest",
    summary="Autocomplete: completions of the word being typed, then matching items",
)
def search_suggest(request: HttpRequest, params: Query[SuggestParams]) -> SuggestOut:
    creator, searcher = _caller(principal_of(request), params.locale)
    suggestions = search_suggestions(
        query=params.q, profile=searcher_profile(creator=creator, language=searcher.language)
    )
    return SuggestOut(
        query=params.q,
        suggestions=[
            SuggestionOut(text=item.text, kind=item.kind, url=item.url or None)
            for item in suggestions
        ],
    )


@router.get(
    "/hashtags/{tag}",
    response={200: HashtagOut, **PROBLEM_RESPONSES},
    operation_id="hashtag_get",
    summary="Published content with a hashtag, ranked for the caller, and related hashtags",
)
def hashtag_get(request: HttpRequest, tag: str, params: Query[HashtagParams]) -> HashtagOut:
    creator, searcher = _caller(principal_of(request), params.locale)
    page = hashtag_page(
        tag=tag,
        profile=searcher_profile(creator=creator, language=searcher.language),
        page=params.page,
        page_size=params.page_size,
    )
    return HashtagOut(
        request_id=new_request_id(), tag=page.tag, total=page.total, page=page.page,
        pages=page.pages, page_size=page.page_size, results=[_hit(hit) for hit in page.hits],
        related=[RelatedHashtagOut(tag=item.name, items=item.items) for item in page.related],
    )  # fmt: skip


@router.get(
    "/entry-points/search",
    response={200: EntryPointSearchOut, **PROBLEM_RESPONSES},
    operation_id="entry_point_search",
    summary="The host app's search entry point: Academy results for a creator's query",
)
def entry_point_search(
    request: HttpRequest, params: Query[EntryPointSearchParams]
) -> EntryPointSearchOut:
    require_scope(request, ApiScope.SEARCH_READ)
    creator = creator_get(external_id=params.creator)
    if creator is None:
        raise NotFound(
            _("There is no creator with the id “%(id)s”. Create them with PUT /creators/{id}.")
            % {"id": params.creator}
        )
    results = search_documents(
        query=params.q,
        profile=searcher_profile(creator=creator, language=creator.language),
        page_size=params.limit,
    )
    request_id = new_request_id()
    if not results.query.is_empty:
        search_logged(
            searcher=Searcher(creator=creator, language=creator.language),
            query=results.query.text, results=results.total, request_id=request_id,
            surface="host",
        )  # fmt: skip
    return EntryPointSearchOut(
        request_id=request_id, creator=creator.external_id, query=results.query.text,
        searched=results.searched, corrected=results.corrected, total=results.total,
        total_capped=results.more,
        results=[_hit(hit) for hit in results.hits],
    )  # fmt: skip
