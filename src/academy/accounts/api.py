"""JSON API of accounts: who am I, creators for host apps, API keys for admins."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from academy.accounts.choices import ApiScope
from academy.accounts.models import ApiKey, Creator
from academy.accounts.schemas import (
    ApiKeyCreatedOut,
    ApiKeyCreateIn,
    ApiKeyOut,
    CreatorOut,
    CreatorUpsertIn,
    ExternalId,
    MeOut,
    OnboardingIn,
    UserOut,
)
from academy.accounts.selectors import (
    api_key_get,
    api_keys_list,
    creator_for_user,
    creator_get,
    user_role,
)
from academy.accounts.services import (
    api_key_create,
    api_key_revoke,
    creator_onboard,
    creator_upsert,
)
from academy.core.auth import principal_of, require_scope
from academy.core.errors import NotFound, PermissionDenied
from academy.core.schemas import PROBLEM_RESPONSES

router = Router(tags=["accounts"])


def creator_out(creator: Creator) -> CreatorOut:
    return CreatorOut(
        external_id=creator.external_id,
        handle=creator.handle,
        niche=creator.niche,
        follower_count=creator.follower_count,
        follower_tier=creator.follower_tier,
        region=creator.region,
        language=creator.language,
        is_minor=creator.is_minor,
        goals=list(creator.goals),
        level=creator.level,
        personalisation_consent=creator.personalisation_consent,
        onboarded=creator.onboarded_at is not None,
        created_at=creator.created_at,
        updated_at=creator.updated_at,
    )


def api_key_out(api_key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=api_key.pk,
        name=api_key.name,
        prefix=api_key.prefix,
        scopes=list(api_key.scopes),
        created_at=api_key.created_at,
        last_used_at=api_key.last_used_at,
        revoked_at=api_key.revoked_at,
        active=api_key.is_active,
    )


@router.get(
    "/me",
    response={200: MeOut, **PROBLEM_RESPONSES},
    operation_id="me_get",
    summary="Who is calling: the signed-in person or the API key, with its scopes",
)
def me_get(request: HttpRequest) -> MeOut:
    principal = principal_of(request)
    user = principal.user
    creator = creator_for_user(user=user) if user is not None else None
    return MeOut(
        kind=principal.kind,
        scopes=sorted(principal.scopes),
        user=(
            UserOut(
                id=user.pk,
                email=user.email,
                display_name=user.name_for_greeting,
                role=user_role(user=user),
            )
            if user is not None
            else None
        ),
        api_key=api_key_out(principal.api_key) if principal.api_key is not None else None,
        creator=creator_out(creator) if creator is not None else None,
    )


@router.put(
    "/me/onboarding",
    response={200: CreatorOut, **PROBLEM_RESPONSES},
    operation_id="me_onboarding_put",
    summary="Answer the three onboarding questions (goals, niche, level) as the signed-in creator",
)
def me_onboarding_put(request: HttpRequest, payload: OnboardingIn) -> CreatorOut:
    principal = principal_of(request)
    creator = creator_for_user(user=principal.user) if principal.user is not None else None
    if creator is None:
        raise PermissionDenied(_("Only a signed-in creator can answer onboarding questions."))
    creator = creator_onboard(
        creator=creator,
        goals=[goal.value for goal in payload.goals],
        niche=payload.niche.value,
        level=payload.level.value,
    )
    return creator_out(creator)


@router.get(
    "/creators/{external_id}",
    response={200: CreatorOut, **PROBLEM_RESPONSES},
    operation_id="creator_get",
    summary="A creator's profile by the host app's id",
)
def creator_get_endpoint(request: HttpRequest, external_id: ExternalId) -> CreatorOut:
    require_scope(request, ApiScope.CREATORS_READ)
    creator = creator_get(external_id=external_id)
    if creator is None:
        raise NotFound(_("No creator has the id %(id)s.") % {"id": external_id})
    return creator_out(creator)


@router.put(
    "/creators/{external_id}",
    response={200: CreatorOut, 201: CreatorOut, **PROBLEM_RESPONSES},
    operation_id="creator_put",
    summary="Create or update a creator known to the host app (201 when created)",
)
def creator_put(
    request: HttpRequest, external_id: ExternalId, payload: CreatorUpsertIn
) -> Status[CreatorOut]:
    require_scope(request, ApiScope.CREATORS_WRITE)
    creator, created = creator_upsert(
        external_id=external_id,
        handle=payload.handle,
        niche=payload.niche,
        follower_count=payload.follower_count,
        region=payload.region,
        language=payload.language,
        birth_year=payload.birth_year,
        personalisation_consent=payload.personalisation_consent,
    )
    return Status(201 if created else 200, creator_out(creator))


@router.get(
    "/api-keys",
    response={200: list[ApiKeyOut], **PROBLEM_RESPONSES},
    operation_id="api_keys_list",
    summary="Every API key, active first (admin scope)",
)
def api_keys_list_endpoint(request: HttpRequest) -> list[ApiKeyOut]:
    require_scope(request, ApiScope.ADMIN)
    return [api_key_out(api_key) for api_key in api_keys_list()]


@router.post(
    "/api-keys",
    response={201: ApiKeyCreatedOut, **PROBLEM_RESPONSES},
    operation_id="api_key_create",
    summary="Create an API key; the full key is in this response only (admin scope)",
)
def api_key_create_endpoint(
    request: HttpRequest, payload: ApiKeyCreateIn
) -> Status[ApiKeyCreatedOut]:
    principal = require_scope(request, ApiScope.ADMIN)
    api_key, raw_key = api_key_create(
        name=payload.name,
        scopes=[scope.value for scope in payload.scopes],
        created_by=principal.user,
    )
    return Status(201, ApiKeyCreatedOut(**api_key_out(api_key).model_dump(), key=raw_key))


@router.delete(
    "/api-keys/{key_id}",
    response={200: ApiKeyOut, **PROBLEM_RESPONSES},
    operation_id="api_key_revoke",
    summary="Revoke an API key; it stops working at once (admin scope)",
)
def api_key_revoke_endpoint(request: HttpRequest, key_id: int) -> ApiKeyOut:
    require_scope(request, ApiScope.ADMIN)
    api_key = api_key_get(key_id=key_id)
    if api_key is None:
        raise NotFound(_("No API key has the id %(id)s.") % {"id": key_id})
    return api_key_out(api_key_revoke(api_key=api_key))
