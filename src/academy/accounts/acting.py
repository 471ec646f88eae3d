"""Whom an API call acts for: the signed-in creator, or the creator a host app names."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from academy.accounts.models import Creator
from academy.accounts.selectors import creator_for_user, creator_get
from academy.core.auth import principal_of, require_scope
from academy.core.errors import NotFound, PermissionDenied, ValidationFailed


def acting_creator(
    request: HttpRequest, creator_id: str | None, *, scope: str, not_a_creator: str
) -> Creator:
    """The signed-in creator (who may not name another), or `?creator=` for a caller holding
    ``scope``; ``not_a_creator`` is the 403 message for a signed-in user who is not one."""
    principal = principal_of(request)
    if principal.kind == "user":
        if creator_id is not None:
            raise ValidationFailed(
                _("Signed-in creators act for themselves: leave out 'creator'."),
                errors={"creator": _("Not allowed for a signed-in creator.")},
            )
        creator = creator_for_user(user=principal.user) if principal.user else None
        if creator is None:
            raise PermissionDenied(not_a_creator)
        return creator
    require_scope(request, scope)
    if creator_id is None:
        raise ValidationFailed(
            _("Name the creator with ?creator=<external id>."),
            errors={"creator": _("This field is required.")},
        )
    creator = creator_get(external_id=creator_id)
    if creator is None:
        raise NotFound(_("No creator has the id %(id)s.") % {"id": creator_id})
    return creator
