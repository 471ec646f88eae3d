from __future__ import annotations

from typing import Any

from ninja import Schema


class FieldProblem(Schema):
    field: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details, as every error answer of the API is shaped."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


# Declared on every operation so the OpenAPI document (and schemathesis) know the error shapes.
PROBLEM_RESPONSES: dict[int | frozenset[int], Any] = {
    frozenset({400, 401, 403, 404, 409, 410, 413, 429}): Problem,
}
