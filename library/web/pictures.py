"""What templates need to show photos (templates/macros/pictures.html): the URLs of a photo's files."""

from __future__ import annotations

from jinja2 import Environment

from library.pictures.queries import variants


def install(environment: Environment) -> None:
    environment.globals["photo_variants"] = variants
