"""Property-based fuzzing of the whole API from its OpenAPI schema.

Hypothesis generates valid and invalid requests for every operation; any 5xx, or any answer
that does not match its documented schema, status or content type, fails the run.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from academy.accounts.tests.factories import make_api_key
from academy.config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

pytestmark = [pytest.mark.fuzz, pytest.mark.xdist_group("fuzz")]

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def admin_headers() -> dict[str, str]:
    # A fresh key per example: an earlier example may have revoked the previous one.
    _api_key, raw_key = make_api_key(scopes=["admin"], name="fuzzer")
    return {"Authorization": f"Bearer {raw_key}"}


# One test per operation, named after it, so a failure says which endpoint broke.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_api_never_errors_and_matches_its_schema(operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=admin_headers(), checks=CHECKS)

    check()
