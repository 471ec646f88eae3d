"""The one NinjaAPI: every app's router is mounted here (the API's composition root)."""

from __future__ import annotations

from ninja import NinjaAPI

from academy import __version__
from academy.accounts.api import router as accounts_router
from academy.core.api_errors import register_problem_handlers
from academy.core.auth import API_AUTH

api = NinjaAPI(
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
