"""Static files, the web app manifest and its icons (drawn here at start-up, so no binary is
committed), and the service worker: what makes the portal installable as a progressive web
app."""

from __future__ import annotations

import struct
import zlib
from functools import cache
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
ICON_SIZES = (192, 512)
BRAND = (29, 78, 216)  # the portal's blue, also in app.css
WHITE = (255, 255, 255)


def _png(width: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)  # 8-bit RGB
    raw = b"".join(b"\x00" + row for row in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


@cache
def icon(size: int) -> bytes:
    """A counter window ("guichet"): a white arch on the brand colour, inside the safe zone
    of a maskable icon (the middle 80 %)."""
    rows = []
    left, right = int(size * 0.3), int(size * 0.7)
    top, bottom = int(size * 0.3), int(size * 0.66)
    shelf_top, shelf_bottom = int(size * 0.7), int(size * 0.76)
    centre, radius = size / 2, (right - left) / 2
    for y in range(size):
        row = bytearray()
        for x in range(size):
            in_window = left <= x < right and top <= y < bottom
            if in_window and y < top + radius:  # the arch's rounded top
                in_window = (x + 0.5 - centre) ** 2 + (y + 0.5 - top - radius) ** 2 <= radius**2
            in_shelf = int(size * 0.24) <= x < int(size * 0.76) and shelf_top <= y < shelf_bottom
            row += bytes(WHITE if in_window or in_shelf else BRAND)
        rows.append(bytes(row))
    return _png(size, rows)


async def icon_file(request: web.Request) -> web.Response:
    size = int(request.match_info["size"])
    if size not in ICON_SIZES:
        raise web.HTTPNotFound
    return web.Response(
        body=icon(size),
        content_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def manifest(_request: web.Request) -> web.Response:
    return web.json_response(
        {
            "name": "Guichet",
            "short_name": "Guichet",
            "start_url": "/home",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1d4ed8",
            "icons": [
                {
                    "src": f"/static/icons/icon-{size}.png",
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in ICON_SIZES
            ],
        },
        content_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


async def service_worker(_request: web.Request) -> web.FileResponse:
    """At the site's root, so that it may serve every page (a worker's scope is its folder);
    always checked for a newer version."""
    return web.FileResponse(
        STATIC / "sw.js",
        headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/manifest.webmanifest", manifest)
    app.router.add_get("/sw.js", service_worker)
    app.router.add_get(r"/static/icons/icon-{size:\d+}.png", icon_file)
    app.router.add_static("/static/", STATIC, append_version=False)
