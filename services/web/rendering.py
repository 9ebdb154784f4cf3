"""HTML pages from Jinja2 templates (autoescaped), in the reader's language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from services.web.i18n import Formats, Language, translator

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails its test, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )


ENVIRONMENT = environment()


def html(
    template: str, language: Language, zone: dt.tzinfo, *, status: int = 200, **context: Any
) -> web.Response:
    formats = Formats(language, zone)
    text = ENVIRONMENT.get_template(template).render(
        t=translator(language),
        lang=language,
        formats=formats,
        **context,
    )
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
