"""The official GrowthBook Python SDK, run on a payload as a host app would run it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from growthbook import core
from growthbook.common_types import (
    EvaluationContext,
    FeatureResult,
    GlobalContext,
    Options,
    StackContext,
    UserContext,
    features_from_dict,
)
from growthbook.growthbook import InMemoryStickyBucketService


def growthbook_eval(
    payload: Mapping[str, Any],
    attributes: dict[str, Any],
    *,
    sticky_assignments: Mapping[str, str] | None = None,
) -> dict[str, FeatureResult[Any]]:
    """Every feature of `payload` for one user, in payload order, sharing sticky assignments.

    Sticky assignments are the user's document for their `id`, as a sticky bucket service
    keeps it.
    """
    docs: dict[str, Any] = {}
    service = None
    if sticky_assignments is not None:
        service = InMemoryStickyBucketService()
        user_id = str(attributes["id"])
        docs[f"id||{user_id}"] = {
            "attributeName": "id",
            "attributeValue": user_id,
            "assignments": dict(sticky_assignments),
        }
    global_context = GlobalContext(
        options=Options(sticky_bucket_service=service),
        features=features_from_dict(dict(payload["features"])),
        saved_groups=dict(payload.get("savedGroups") or {}),
    )
    user = UserContext(attributes=attributes, sticky_bucket_assignment_docs=docs)
    return {
        key: core.eval_feature(
            key, EvaluationContext(user=user, global_ctx=global_context, stack=StackContext())
        )
        for key in payload["features"]
    }
