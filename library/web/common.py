"""What every page shares: the reader's language, rendering, forms that keep what was typed, notices.

Pages follow post-redirect-get: a form posts, the handler calls the same domain function the API
uses, and answers 303 to a page that shows a notice (`?done=<key>`); when the domain says no
(a `LibraryError`), the form is shown again with what was typed and the sentence next to the field.
A handler that shows a page takes one `context: PageContextDep` (who asks, language, database,
settings, the time) rather than each of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from library.config import Settings
from library.db import Database
from library.errors import LibraryError
from library.http.answers import page_language
from library.http.deps import ClockDep, DatabaseDep, SettingsDep
from library.http.problems import headers_of, status_of
from library.http.viewer import Viewer, ViewerDep
from library.i18n import Lang, translate

AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True)
class PageContext:
    """What nearly every page handler reads, injected as one: who asks, in which language, the
    database, the settings, and the time the request arrived (one instant for the whole request)."""

    request: AnyRequest
    viewer: Viewer
    db: Database
    settings: Settings
    now: datetime

    @property
    def lang(self) -> Lang:
        return page_language(self.request)

    def render(self, template: str, *, status: int = 200, **context: Any) -> Template:
        """The template with what every page shows: the language, who is signed in, the request."""
        return Template(
            template_name=template,
            status_code=status,
            context={
                "lang": self.lang,
                "viewer": self.viewer,
                "request": self.request,
                # a date for hints ("for example 12.12.2026"): a week from today, never a fixed one
                "example_day": (self.now + timedelta(days=7)).date(),
                "mail_on": self.mail_on,
                **context,
            },
        )

    @property
    def mail_on(self) -> bool:
        """Whether a mail server is configured: without one no page may promise an e-mail."""
        return bool(self.settings.smtp_url)

    def notice(self, notices: Mapping[str, str], without_mail: Mapping[str, str] | None = None) -> str | None:
        """The sentence for `?done=<key>` (texts marked with N_), translated; unknown keys show nothing.
        `without_mail` holds the sentences that promise no e-mail, shown while no mail server is set."""
        key = self.request.query_params.get("done")
        if key and without_mail and not self.mail_on and key in without_mail:
            notices = without_mail
        message = notices.get(key) if key else None
        return translate(self.lang, message) if message else None

    def refused(self, template: str, problem: LibraryError, **context: Any) -> Template:
        """The page again with the problem's status and headers (e.g. Retry-After when throttled)."""
        page = self.render(template, status=status_of(problem), **context)
        page.headers.update(headers_of(problem))
        return page


async def provide_page_context(
    request: AnyRequest, viewer: ViewerDep, db: DatabaseDep, clock: ClockDep, settings: SettingsDep
) -> PageContext:
    return PageContext(request=request, viewer=viewer, db=db, settings=settings, now=clock.now())


PageContextDep = NamedDependency[PageContext]
PAGE_DEPENDENCIES = {"context": Provide(provide_page_context)}


def safe_next(target: str | None) -> str:
    """Only local paths, so a form cannot send people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def see_other(path: str, *, done: str | None = None, **query: str) -> Redirect:
    """The 303 after a successful form: the browser loads `path` and shows the notice `done`."""
    params = {**query, **({"done": done} if done else {})}
    return Redirect(path=f"{path}?{urlencode(params)}" if params else path, status_code=303)


@dataclass
class Form:
    """A form as typed, with errors per field (already in the reader's language) and for the whole."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def absorb(
        self,
        problem: LibraryError,
        lang: Lang,
        fields: Mapping[str, str] | None = None,
        *,
        raising: tuple[type[LibraryError], ...] = (),
    ) -> None:
        """Put a domain problem's sentence next to the field it names, else above the form.

        `fields` maps the API's field names (e.g. `start`) to this form's names when they differ.
        Problems of the kinds in `raising` (e.g. `NotFound`: there is no form to show) are raised
        again, for the error page.
        """
        if isinstance(problem, raising):
            raise problem
        message = problem.detail(lang)
        placed = False
        for name in problem.fields:
            form_name = (fields or {}).get(name, name)
            if form_name in self.values or (fields and name in fields):
                self.add(form_name, message)
                placed = True
        if not placed:
            self.general = message


def form_values(data: Mapping[str, Any], *, secret: tuple[str, ...] = ("password",)) -> dict[str, str]:
    """What was typed, as text, without the CSRF token and never re-showing secrets."""
    return {
        key: str(value)
        for key, value in data.items()
        if key != "_csrf_token" and not any(word in key for word in secret)
    }


CONFIRMED = "yes"
"""The value of the `confirm` field that the second step of a destructive action sends."""


def confirmed(data: Mapping[str, Any]) -> bool:
    return data.get("confirm") == CONFIRMED


def confirm_page(
    context: PageContext,
    data: Mapping[str, Any],
    *,
    action: str,
    heading: str,
    subject: str,
    consequence: str,
    yes: str,
    no: str,
    back: str,
    details: str | None = None,
    reason_field: str | None = None,
) -> Template:
    """The second step of a destructive action: the same form posted again, with confirm=yes.

    `data` is what the first step sent (kept as hidden fields, except the reason when the page
    asks for it); the texts are already in the page language.
    """
    keep = {
        key: str(value)
        for key, value in data.items()
        if key not in ("_csrf_token", "confirm") and key != reason_field
    }
    return context.render(
        "staff/confirm.html",
        action=action,
        fields=keep,
        heading=heading,
        subject=subject,
        details=details,
        consequence=consequence,
        yes=yes,
        no=no,
        back=safe_next(back),
        reason_field=reason_field,
        reason=str(data.get(reason_field, "")) if reason_field else "",
    )
