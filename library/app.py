"""create_app(): the Litestar application with its database, routes and error handling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui_bundle
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from library.accounts.passwords import use_password_hashing
from library.api.accounts import AccountsController
from library.api.bodies import strict_body
from library.api.bookings import BookingsController
from library.api.calendars import CalendarsController
from library.api.catalog import CatalogController
from library.api.closures import ClosuresController
from library.api.defects import DefectsController
from library.api.holds import HoldsController
from library.api.inventory import InventoryController
from library.api.loans import LoansController
from library.api.openapi import document_problems
from library.api.opendata import OpenDataController
from library.api.outbox import OutboxController
from library.api.people import PeopleController
from library.api.photos import PhotosController
from library.api.problems import EXCEPTION_HANDLERS
from library.api.sta import SensorThingsController
from library.api.stats import StatsController
from library.api.workshops import WorkshopsController
from library.clock import Clock, SystemClock
from library.config import PROJECT_ROOT, Settings
from library.db import Database
from library.http.assets import STATIC_DIRECTORY, STATIC_PATH, cache_hook, static_url
from library.http.deps import resolve_in_turn
from library.http.security import ScriptFileSwagger, header_hook
from library.http.viewer import AUTH_DEPENDENCIES, CSRF_COOKIE, CSRF_HEADER, csrf_cookie_hook
from library.scheduler import run_forever
from library.web.common import PAGE_DEPENDENCIES
from library.web.pictures import install as install_pictures
from library.web.routes import PAGE_CONTROLLERS
from library.web.translations import install as install_translations

SCHEMA_ASSETS = "/schema/assets"
MAX_REQUEST_BODY = 2 * 1024 * 1024  # bytes; CSV imports are the largest bodies


def configure_templates(engine: JinjaTemplateEngine) -> None:
    """The globals and filters every template may use: translations, dates, photos, static URLs."""
    install_translations(engine.engine)
    install_pictures(engine.engine)
    engine.engine.globals["static_url"] = static_url


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """The application; its settings and clock live in its state, read per request and at startup.

    Only the secret key and the scheme (`behind_https`) are built into the app; so one app can be
    pointed at another database between runs, which the tests do rather than build it each time.
    """
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    use_password_hashing(settings.password_hashing)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        clock: Clock = app.state.clock
        # The engine belongs to the event loop that serves requests, so it is made here.
        db = Database(settings.database_url, pool_size=settings.database_pool)
        app.state.db = db
        background = None
        if settings.run_scheduler:
            background = asyncio.create_task(
                run_forever(db, clock, settings, interval_seconds=settings.scheduler_interval_seconds)
            )
        try:
            yield
        finally:
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
            await db.dispose()

    def provide_db(state: State) -> Database:
        return state.db  # type: ignore[no-any-return]

    def provide_clock(state: State) -> Clock:
        return state.clock  # type: ignore[no-any-return]

    def provide_settings(state: State) -> Settings:
        return state.settings  # type: ignore[no-any-return]

    app = Litestar(
        route_handlers=[
            CatalogController,
            AccountsController,
            BookingsController,
            HoldsController,
            LoansController,
            InventoryController,
            ClosuresController,
            DefectsController,
            WorkshopsController,
            CalendarsController,
            OutboxController,
            PhotosController,
            StatsController,
            PeopleController,
            SensorThingsController,
            OpenDataController,
            *PAGE_CONTROLLERS,
            create_static_files_router(
                path=SCHEMA_ASSETS,
                directories=[Path(swagger_ui_bundle.swagger_ui_path)],
                include_in_schema=False,
                name="schema-assets",
            ),
            create_static_files_router(
                path=STATIC_PATH,
                directories=[STATIC_DIRECTORY],
                include_in_schema=False,
                name="static",
            ),
        ],
        lifespan=[lifespan],
        # For guards and the viewer, which run before dependencies are injected.
        state=State({"clock": clock, "settings": settings}),
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "clock": Provide(provide_clock, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            **AUTH_DEPENDENCIES,
            **PAGE_DEPENDENCIES,
        },
        exception_handlers=EXCEPTION_HANDLERS,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            header_name=CSRF_HEADER,
            cookie_secure=settings.behind_https,
            cookie_samesite="lax",
            # The API checks its own way: bearer requests need none, cookie requests echo the cookie.
            exclude=["^/api/"],
        ),
        template_config=TemplateConfig(
            directory=PROJECT_ROOT / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=configure_templates,
        ),
        openapi_config=OpenAPIConfig(
            title="Stadtbibliothek Ulm: bookings and workshops",
            version="1",
            description="JSON API of the Ulm smart-library booking service. Contract: API.md.",
            path="/schema",
            render_plugins=[
                ScriptFileSwagger(
                    js_url=f"{SCHEMA_ASSETS}/swagger-ui-bundle.js",
                    css_url=f"{SCHEMA_ASSETS}/swagger-ui.css",
                    standalone_preset_js_url=f"{SCHEMA_ASSETS}/swagger-ui-standalone-preset.js",
                    path="/",
                )
            ],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="POST /api/v1/auth/tokens"
                    )
                }
            ),
        ),
        before_request=strict_body,
        before_send=[
            header_hook(https=settings.behind_https),
            cache_hook(),
            csrf_cookie_hook(settings),
        ],
        request_max_body_size=MAX_REQUEST_BODY,
        debug=False,
    )
    document_problems(app)
    resolve_in_turn(app)
    return app
