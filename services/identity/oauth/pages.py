"""The authorization endpoint's pages: sign-in with the vendor's branding, and the error page
shown when a request cannot safely be sent back to the app. French or English, from the
browser's Accept-Language.

Everything shown is escaped. The pages load nothing but the vendor's logo and their one
inline stylesheet (allowed by its hash), and cannot be framed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from aiohttp import web

from services.identity.domain_types import Language

LANGUAGES: tuple[Language, ...] = ("fr", "en")
# The OAuth parameters a sign-in post carries back, as hidden fields.
CARRIED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)

TEXTS: dict[Language, dict[str, str]] = {
    "fr": {
        "title": "Connexion",
        "asks": "{app} souhaite accéder à votre espace client {vendor}.",
        "login": "Identifiant (adresse e-mail ou code utilisateur)",
        "password": "Mot de passe",
        "remember": "Rester connecté",
        "submit": "Se connecter",
        "cancel": "Annuler",
        "wrong": "L'identifiant ou le mot de passe est incorrect.",
        "locked": "Trop de tentatives échouées. Réessayez plus tard ou réinitialisez votre"
        " mot de passe.",
        "must_change": "Votre mot de passe doit être changé. Connectez-vous sur le portail"
        " pour en choisir un nouveau, puis revenez à l'application.",
        "portal": "Aller sur le portail",
        "stale": "Ce formulaire a expiré. Recommencez depuis l'application.",
        "refused_title": "Demande refusée",
        "refused": "Cette demande de connexion n'est pas valide. Revenez à l'application et"
        " réessayez ; si cela se reproduit, contactez son éditeur.",
        "reason": "Raison technique :",
        "logo": "Logo de {vendor}",
    },
    "en": {
        "title": "Sign in",
        "asks": "{app} wants to access your {vendor} customer space.",
        "login": "Login (email address or user code)",
        "password": "Password",
        "remember": "Stay signed in",
        "submit": "Sign in",
        "cancel": "Cancel",
        "wrong": "The login or the password is not right.",
        "locked": "Too many failed sign-ins. Try again later or reset your password.",
        "must_change": "Your password must be changed. Sign in on the portal to choose a new"
        " one, then come back to the app.",
        "portal": "Go to the portal",
        "stale": "This form has expired. Start again from the app.",
        "refused_title": "Request refused",
        "refused": "This sign-in request is not valid. Go back to the app and try again; if"
        " it happens again, contact its publisher.",
        "reason": "Technical reason:",
        "logo": "{vendor} logo",
    },
}

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2433}"
    "main{max-width:24rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px}"
    "img{max-height:3rem;display:block;margin-bottom:1rem}"
    "label{display:block;margin-top:1rem;font-weight:600}"
    "input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;"
    "margin-top:.3rem;border:1px solid #6b7280;border-radius:4px;font-size:1rem}"
    ".remember{font-weight:400}"
    ".actions{display:flex;gap:.5rem;margin-top:1.5rem}"
    "button{padding:.6rem 1rem;font-size:1rem;border-radius:4px;border:1px solid #1d4ed8}"
    "button[value=sign_in]{background:#1d4ed8;color:#fff}"
    "button[value=cancel]{background:#fff;color:#1d4ed8}"
    "[role=alert]{padding:.75rem;background:#fdecea;border-left:4px solid #b91c1c}"
    "code{word-break:break-all}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


@dataclass(frozen=True)
class Branding:
    vendor_name: str
    logo_url: str | None
    portal_url: str


def language_of(accept_language: str | None, default: Language) -> Language:
    """The first of the browser's languages (by weight) that the pages speak."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
        if weight > 0:
            ranked.append((-weight, position, tag.strip().lower().split("-")[0]))
    for _, _, tag in sorted(ranked):
        for language in LANGUAGES:
            if tag == language:
                return language
    return default


def sign_in_page(
    *,
    language: Language,
    branding: Branding,
    app_name: str,
    parameters: Mapping[str, str],
    csrf_field: tuple[str, str],
    login: str = "",
    notice: str | None = None,
) -> str:
    """The sign-in form. It posts to `authorize` relative to the page, so the post takes the
    path the page came by: /api/oauth/authorize through the gateway."""
    text = TEXTS[language]
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(parameters[name])}">'
        for name in CARRIED
        if parameters.get(name)
    )
    hidden += f'<input type="hidden" name="{csrf_field[0]}" value="{escape(csrf_field[1])}">'
    alert = _alert(text, notice, branding)
    asks = text["asks"].format(
        app=f"<strong>{escape(app_name)}</strong>", vendor=escape(branding.vendor_name)
    )
    form = (
        f'<form method="post" action="authorize">{hidden}'
        f'<label for="login">{text["login"]}</label>'
        f'<input type="text" id="login" name="login" value="{escape(login)}" required'
        ' autocomplete="username" autocapitalize="none" spellcheck="false">'
        f'<label for="password">{text["password"]}</label>'
        '<input type="password" id="password" name="password" required'
        ' autocomplete="current-password">'
        '<label class="remember"><input type="checkbox" name="remember_me" value="on"> '
        f"{text['remember']}</label>"
        '<div class="actions">'
        f'<button type="submit" name="action" value="sign_in">{text["submit"]}</button>'
        '<button type="submit" name="action" value="cancel" formnovalidate>'
        f"{text['cancel']}</button></div></form>"
    )
    return _document(language, branding, text["title"], f"<p>{asks}</p>{alert}{form}")


def error_page(*, language: Language, branding: Branding, reason: str) -> str:
    text = TEXTS[language]
    body = (
        f'<div role="alert"><p>{text["refused"]}</p></div>'
        f"<p>{text['reason']} <code>{escape(reason)}</code></p>"
    )
    return _document(language, branding, text["refused_title"], body)


def html_response(page: str, *, status: int = 200, sends_to: str | None = None) -> web.Response:
    """`sends_to`: the app's redirect URI, where the form's answer redirects; browsers apply
    form-action to that redirect too, so its origin (or private-use scheme) is allowed."""
    form_action = "'self'"
    if sends_to:
        parts = urlsplit(sends_to)
        if parts.scheme in {"http", "https"}:
            form_action += f" {parts.scheme}://{parts.netloc}"
        else:
            form_action += f" {parts.scheme}:"
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self';"
                f" form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
            ),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def _alert(text: Mapping[str, str], notice: str | None, branding: Branding) -> str:
    if notice is None:
        return ""
    extra = ""
    if notice == "must_change":
        extra = f' <a href="{escape(branding.portal_url)}">{text["portal"]}</a>'
    return f'<div role="alert"><p>{text[notice]}{extra}</p></div>'


def _document(language: Language, branding: Branding, title: str, body: str) -> str:
    vendor = escape(branding.vendor_name)
    logo = ""
    if branding.logo_url:
        alt = escape(TEXTS[language]["logo"].format(vendor=branding.vendor_name))
        logo = f'<img src="{escape(branding.logo_url)}" alt="{alt}">'
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} | {vendor}</title><style>{STYLE}</style></head>"
        f"<body><main>{logo}<h1>{escape(title)}</h1>{body}</main></body></html>"
    )
