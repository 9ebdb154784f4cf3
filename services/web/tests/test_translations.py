"""Every message of the portal exists in French and in English, and every message a page or
a handler names is in the catalogues."""

from __future__ import annotations

import re
from pathlib import Path

from services.web.i18n import LANGUAGES, catalogue, from_accept_language
from shared.auth.claims import Module, Role

WEB = Path(__file__).resolve().parent.parent
TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+\.[a-z0-9_.]*[a-z0-9_])["']\s*[,)]""")
# Keys named in Python: error="…", flash(request, "…"), title_key="…", errors = {…: "…"}.
PYTHON_KEY = re.compile(r"""["']((?:[a-z_]+)\.(?:[a-z0-9_]+\.)*[a-z0-9_]+)["']""")
PREFIXES = {key.split(".", 1)[0] for key in catalogue("en")}


def used_keys() -> set[str]:
    keys = {
        key
        for path in (WEB / "templates").rglob("*.html")
        for key in TEMPLATE_KEY.findall(path.read_text())
    }
    for path in [*WEB.glob("*.py"), *(WEB / "pages").glob("*.py")]:
        keys |= {
            key
            for key in PYTHON_KEY.findall(path.read_text())
            if key.split(".", 1)[0] in PREFIXES and not key.endswith((".html", ".py", ".json"))
        }
    keys |= {f"role.{role.value}" for role in Role}
    keys |= {f"module.{module.value}" for module in Module}
    return keys


def test_both_languages_have_the_same_messages_and_none_is_empty() -> None:
    french, english = catalogue("fr"), catalogue("en")
    assert set(french) == set(english), set(french) ^ set(english)
    assert [key for key, text in {**french, **english}.items() if not text.strip()] == []
    assert LANGUAGES == ("fr", "en")


def test_every_message_the_pages_use_is_in_the_catalogues() -> None:
    used = used_keys()
    assert len(used) > 50  # the scan found the pages' messages
    assert sorted(used - set(catalogue("fr"))) == []


def test_placeholders_are_the_same_in_both_languages() -> None:
    placeholder = re.compile(r"\{(\w+)\}")
    french, english = catalogue("fr"), catalogue("en")
    assert [
        key
        for key in french
        if set(placeholder.findall(french[key])) != set(placeholder.findall(english[key]))
    ] == []


def test_the_browsers_preferred_language_is_chosen_by_quality() -> None:
    assert from_accept_language("de-DE,en-GB;q=0.8,fr;q=0.7") == "en"
    assert from_accept_language("fr-CA, en;q=0.9") == "fr"
    assert from_accept_language("en;q=0.2, fr;q=0.9") == "fr"
    assert from_accept_language("de, es") is None
    assert from_accept_language("en;q=0, fr;q=nonsense") is None
