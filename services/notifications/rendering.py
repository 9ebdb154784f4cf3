"""Email templates: one per event and language, HTML and plain text, autoescaped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    def __init__(self, vendor_name: str, templates: Path = TEMPLATES) -> None:
        self.vendor_name = vendor_name
        # Autoescaping is on for .html templates, so text a user typed (a ticket title)
        # can never inject markup into an email.
        self.environment = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, template: str, language: str, values: dict[str, Any]) -> RenderedEmail:
        context = {"vendor_name": self.vendor_name, "language": language, **values}
        subject = self.environment.get_template(f"{language}/{template}.subject.txt").render(
            context
        )
        subject = " ".join(subject.split())  # one line, whatever the user typed
        context["subject"] = subject
        return RenderedEmail(
            subject=subject,
            text=self.environment.get_template(f"{language}/{template}.txt").render(context),
            html=self.environment.get_template(f"{language}/{template}.html").render(context),
        )
