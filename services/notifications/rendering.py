"""Email templates: one per event and language, HTML and plain text, autoescaped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from services.notifications.formatting import format_day, format_moment, format_money

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    def __init__(
        self, vendor_name: str, templates: Path = TEMPLATES, timezone: str = "Europe/Paris"
    ) -> None:
        self.vendor_name = vendor_name
        # Autoescaping is on for .html templates, so text a user typed (a ticket title)
        # can never inject markup into an email.
        self.environment = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        zone = ZoneInfo(timezone)

        @pass_context
        def moment(context: Context, value: datetime | str) -> str:
            """A date and time in the email's language and the vendor's time zone. Accepts
            ISO text too: values of parked emails come back from JSON."""
            when = datetime.fromisoformat(value) if isinstance(value, str) else value
            return format_moment(when, context["language"], zone)

        @pass_context
        def day(context: Context, value: date | str) -> str:
            """A date in the email's language (ISO text too, as in events)."""
            when = date.fromisoformat(value) if isinstance(value, str) else value
            return format_day(when, context["language"])

        @pass_context
        def money(context: Context, value: Decimal | str, currency: str) -> str:
            """An amount in the email's language: `{{ total | money(currency) }}`."""
            return format_money(Decimal(value), currency, context["language"])

        self.environment.filters["moment"] = moment
        self.environment.filters["day"] = day
        self.environment.filters["money"] = money

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
