"""`POST /api/v1/events`: batches from host apps (scope events:write) and the web tracker."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from academy.accounts.choices import ApiScope
from academy.accounts.selectors import creator_for_user
from academy.core.auth import principal_of, require_scope
from academy.core.schemas import PROBLEM_RESPONSES
from academy.events.schemas import EventBatchIn, EventBatchOut, RejectedEventOut
from academy.events.services import events_ingest

router = Router(tags=["events"])


@router.post(
    "/events",
    response={202: EventBatchOut, **PROBLEM_RESPONSES},
    operation_id="events_send",
    summary="Send a batch of up to 1,000 events; accepted ones are on disk before the answer",
)
def events_send(request: HttpRequest, payload: EventBatchIn) -> Status[EventBatchOut]:
    principal = principal_of(request)
    act_as: str | None = None
    if principal.kind == "user":
        creator = creator_for_user(user=principal.user) if principal.user else None
        # A browser records only its own creator's events (or anonymous ones before sign-in).
        act_as = creator.external_id if creator is not None else None
    else:
        require_scope(request, ApiScope.EVENTS_WRITE)
    result = events_ingest(raw_events=payload.events, act_as_creator=act_as)
    return Status(
        202,
        EventBatchOut(
            accepted=result.accepted,
            rejected=[
                RejectedEventOut(index=item.index, field=item.field, detail=item.detail)
                for item in result.rejected
            ],
        ),
    )
