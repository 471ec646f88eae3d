"""The committed OpenAPI snapshot: host-app developers read it, a test keeps it honest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

SNAPSHOT_PATH = Path(settings.PACKAGE_DIR).parents[1] / "docs" / "openapi.json"


def current_schema() -> dict[str, Any]:
    from academy.config.api import api

    schema: dict[str, Any] = api.get_openapi_schema(path_prefix="/api/v1")
    return schema


def render_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
