"""The web application: pages, the JSON API, and the embedded heartbeat worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncbeat import __version__
from syncbeat.catalog.location import BuiltinLocation, CatalogLocation
from syncbeat.engine.context import Context
from syncbeat.web import (
    api_catalog,
    api_docs,
    api_profiles,
    api_secrets,
    api_settings,
    api_tasks,
    errors,
    metrics,
    pages_auth,
    pages_catalog,
    pages_configure,
    pages_profiles,
    pages_tasks,
)
from syncbeat.web.embedded import EmbeddedWorker, HeartbeatWatch, UrlHeartbeat
from syncbeat.web.sessions import Signer, load_secret
from syncbeat.web.templating import error_page


def favicon() -> FileResponse:
    """The tab's icon, where every browser asks for it first."""
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})

STATIC = Path(__file__).with_name("static")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


class SecurityHeaders:
    """Headers that keep the admin out of frames and scripts of other origins."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(ctx: Context, *, worker: bool, secret: bytes | None = None,
               worker_interval: float | None = None,
               catalog: CatalogLocation | None = None, watch_every: float = 60.0) -> FastAPI:
    """The admin and the API on `ctx`; with `worker`, a heartbeat thread runs beside them.
    `catalog` is the configured catalog the Configure tab checks (default: built-in). Every
    `watch_every` seconds a thread tells of a stopped heartbeat (engine/notify.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        embedded = EmbeddedWorker(ctx, interval=worker_interval) if worker else None
        app.state.worker = embedded
        watch = HeartbeatWatch(ctx, every=watch_every)
        watch.start()
        if embedded is not None:
            embedded.start()
        try:
            yield
        finally:
            if embedded is not None:
                await anyio.to_thread.run_sync(embedded.stop)
            await anyio.to_thread.run_sync(watch.stop)

    app = FastAPI(
        title="syncbeat",
        version=__version__,
        summary="Scheduled catalog imports and exports, as tasks you can watch.",
        description="The JSON API of syncbeat. Send an API token as `Authorization: Bearer "
                    "TOKEN` (make one on the Configure tab, or with POST /api/tokens). "
                    "Errors are JSON: `{\"message\", \"field\", \"errors\"}`.",
        lifespan=lifespan,
        openapi_url=None, docs_url=None, redoc_url=None,  # served behind sign-in by api_docs
    )
    app.state.ctx = ctx
    app.state.signer = Signer(secret if secret is not None else load_secret(ctx.data_dir))
    app.state.url_heartbeat = UrlHeartbeat(ctx)
    app.state.worker_enabled = worker
    app.state.catalog = catalog if catalog is not None else BuiltinLocation()
    errors.install(app, error_page)
    api_docs.install(app)
    for module in (api_tasks, api_profiles, api_settings, api_secrets, api_catalog, api_docs,
                   pages_auth, pages_tasks, pages_profiles, pages_configure, pages_catalog,
                   metrics):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.add_middleware(SecurityHeaders)
    return app
