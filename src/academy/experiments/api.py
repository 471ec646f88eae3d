"""JSON API of flags: `/flags` (every flag's value and experiment assignment for a creator)
and `/flags/payload` (the same flags in GrowthBook's SDK payload format, for local evaluation).

A host app needs the `flags:read` scope and names the creator with `?creator=`; a signed-in
creator reads their own flags.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from academy.accounts.choices import ApiScope
from academy.accounts.models import Creator
from academy.accounts.selectors import creator_for_user, creator_get
from academy.core.auth import principal_of, require_scope
from academy.core.errors import NotFound, PermissionDenied, ValidationFailed
from academy.core.schemas import PROBLEM_RESPONSES
from academy.experiments.schemas import (
    AssignmentOut,
    CreatorFlagsOut,
    FlagsParams,
    FlagsPayloadOut,
    FlagValueOut,
)
from academy.experiments.selectors import flags_payload
from academy.experiments.services import flags_for_creator

router = Router(tags=["flags"])


def _flags_creator(request: HttpRequest, creator_id: str | None) -> Creator:
    """A creator reads their own flags; naming one (`?creator=`) needs the flags:read scope."""
    principal = principal_of(request)
    if creator_id is None:
        if principal.kind == "user" and principal.user is not None:
            creator = creator_for_user(user=principal.user)
            if creator is None:
                raise PermissionDenied(
                    _("Only creators have flags of their own; name one with ?creator=.")
                )
            return creator
        raise ValidationFailed(
            _("Name the creator with ?creator=<external id>."),
            errors={"creator": _("This field is required.")},
        )
    require_scope(request, ApiScope.FLAGS_READ)
    creator = creator_get(external_id=creator_id)
    if creator is None:
        raise NotFound(
            _("There is no creator with the id “%(id)s”. Create them with PUT /creators/{id}.")
            % {"id": creator_id}
        )
    return creator


@router.get(
    "/flags",
    response={200: CreatorFlagsOut, **PROBLEM_RESPONSES},
    operation_id="flags_for_creator",
    summary="Every flag's value for a creator, and the experiments they are assigned to",
    description=(
        "Assignments are sticky: a creator keeps their variation when weights change, until the "
        "experiment is restarted. The first assignment logs an `exposure` event."
    ),
)
def flags_get(request: HttpRequest, params: Query[FlagsParams]) -> CreatorFlagsOut:
    creator = _flags_creator(request, params.creator)
    found = flags_for_creator(
        creator=creator, platform=params.platform, app_version=params.app_version
    )
    return CreatorFlagsOut(
        creator=creator.external_id,
        flags=[
            FlagValueOut(
                key=key,
                value=result.value,
                source=result.source,
                rule_id=result.rule_id,
                experiment=result.experiment.experiment_key if result.experiment else None,
            )
            for key, result in found.flags.items()
        ],
        experiments=[
            AssignmentOut(
                experiment=item.experiment,
                flag=item.flag,
                variation=item.variation,
                variation_name=item.variation_name,
                bucket_version=item.bucket_version,
                new=item.new,
            )
            for item in found.assignments
        ],
    )


@router.get(
    "/flags/payload",
    response={200: FlagsPayloadOut, **PROBLEM_RESPONSES},
    operation_id="flags_payload",
    summary="The flags in GrowthBook's SDK payload format, for SDKs that evaluate locally",
    description=(
        "Killed flags carry no rules, stopped experiments are left out, shipped ones are a force "
        "rule, and scheduled changes are in once their time has come. Experiment rules carry "
        "variation keys (`meta`) and `bucketVersion` for the SDKs' sticky bucketing."
    ),
)
def flags_payload_get(request: HttpRequest) -> FlagsPayloadOut:
    require_scope(request, ApiScope.FLAGS_READ)
    return FlagsPayloadOut(features=dict(flags_payload().payload["features"]))
