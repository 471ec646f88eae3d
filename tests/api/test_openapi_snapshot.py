"""The committed OpenAPI document is what host-app developers build against."""

from __future__ import annotations

import json

from academy.core.openapi import SNAPSHOT_PATH, current_schema, render_schema


def test_snapshot_matches_the_code() -> None:
    committed = SNAPSHOT_PATH.read_text(encoding="utf-8")
    assert committed == render_schema(current_schema()), (
        "The API schema changed: review the change and run `make openapi` to update "
        "docs/openapi.json."
    )


def test_every_operation_is_documented_for_clients() -> None:
    schema = json.loads(SNAPSHOT_PATH.read_text(encoding="utf-8"))
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("operationId"), f"{where} has no operation_id"
            assert operation.get("summary"), f"{where} has no summary"
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in response["content"], where
