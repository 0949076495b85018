"""GET /api/dashboard and its two assets, served with a strict Content-Security-Policy.

The page and its assets are static and hold no data, so they are served without a function key:
a page behind the key would have to be opened as `/api/dashboard?code=KEY`, a URL that browser
history, proxies and request logs keep. The page asks for the key once (a form, or the URL
fragment `#key=...`, which a browser never sends) and sends it as `x-functions-key` to the JSON
endpoints, which all require it.
"""

from __future__ import annotations

from importlib import resources

from provisioning.api.http import ApiRequest, ApiResponse, check_params
from provisioning.api.status import handle_cycles, handle_retries
from provisioning.config import load_settings
from provisioning.service import open_state

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ASSETS = {
    "page.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def asset(name: str) -> bytes:
    """A file shipped in this package (pyproject's package-data lists them)."""
    return resources.files(__package__).joinpath(name).read_bytes()


def asset_response(name: str) -> ApiResponse:
    return ApiResponse(200, asset(name), content_type=ASSETS[name], headers=SECURITY_HEADERS)


async def handle_dashboard(request: ApiRequest) -> ApiResponse:
    check_params(request, set())
    return asset_response("page.html")


async def handle_dashboard_script(request: ApiRequest) -> ApiResponse:
    check_params(request, set())
    return asset_response("app.js")


async def handle_dashboard_style(request: ApiRequest) -> ApiResponse:
    check_params(request, set())
    return asset_response("app.css")


async def handle_cycles_route(request: ApiRequest) -> ApiResponse:
    """GET /api/cycles: per-day counts of the last cycles (the page's chart; any client may use it)."""
    settings = load_settings()
    async with open_state(settings) as state:
        return await handle_cycles(request, state=state, settings=settings)


async def handle_retries_route(request: ApiRequest) -> ApiResponse:
    """GET /api/retries: failed objects with their next retry (the page's list; any client may use it)."""
    settings = load_settings()
    async with open_state(settings) as state:
        return await handle_retries(request, state=state)
