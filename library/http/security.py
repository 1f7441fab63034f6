"""Security headers on every response, and an API documentation page that needs no inline script.

The Content-Security-Policy allows scripts and styles only from this service, so an injected
`<script>` or `style=` does nothing. Swagger UI's bundle sets styles at run time, so its page alone
may use inline styles; its start-up script is a file like any other.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.types import Message, Scope

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
API_DOCS_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
API_DOCS_PATH = "/schema"


def security_headers(*, https: bool) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def header_hook(*, https: bool) -> Any:
    """A `before_send` hook adding the headers to every response the app sends."""
    fixed = security_headers(https=https)

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in fixed.items():
            headers.setdefault(name, value)
        path = scope.get("path", "")
        docs = path == API_DOCS_PATH or path.startswith(f"{API_DOCS_PATH}/")
        headers.setdefault("Content-Security-Policy", API_DOCS_POLICY if docs else PAGE_POLICY)

    return add_security_headers


class ScriptFileSwagger(SwaggerRenderPlugin):
    """Swagger UI whose start-up code is /static/api-docs.js instead of an inline script."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = openapi_schema["info"]["title"]
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{self.css_url}">
</head>
<body>
  <main id="swagger-container" data-spec-url="{API_DOCS_PATH}/openapi.json"></main>
  <script src="{self.js_url}"></script>
  <script src="{self.standalone_preset_js_url}"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
""".encode()
