"""The one NinjaAPI: every app's router is mounted here (the API's composition root)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from academy import __version__
from academy.accounts.api import router as accounts_router
from academy.catalog.api import router as catalog_router
from academy.core.api_errors import register_problem_handlers
from academy.core.auth import API_AUTH
from academy.core.problems import PROBLEM_CONTENT_TYPE
from academy.events.api import router as events_router
from academy.experiments.api import router as experiments_router
from academy.insights.api import router as insights_router
from academy.learning.api import router as learning_router
from academy.recsys.api import router as recsys_router
from academy.search.api import router as search_router


class AcademyApi(NinjaAPI):
    """NinjaAPI whose OpenAPI document says what the API really sends for errors."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.get("responses", {})
                responses.setdefault(
                    500,
                    {
                        "description": "Internal Server Error",
                        "content": {"application/json": {"schema": PROBLEM_REF}},
                    },
                )
                for status, response in responses.items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

api = AcademyApi(
    title="Creator Academy API",
    version="1",
    description=(
        "The host-app and web-app API of Creator Academy. Host apps authenticate with "
        "`Authorization: Bearer <API key>`; the web app uses its session cookie and CSRF token. "
        "Every error is an RFC 9457 `application/problem+json` document. "
        f"Server version {__version__}."
    ),
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
register_problem_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/", catalog_router)
api.add_router("/", learning_router)
api.add_router("/", events_router)
api.add_router("/", search_router)
api.add_router("/", recsys_router)
api.add_router("/", experiments_router)
api.add_router("/", insights_router)
