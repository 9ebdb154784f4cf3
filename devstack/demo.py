"""Demo data, loaded once into a fresh local stack through the services' own HTTP APIs."""

from __future__ import annotations

import aiohttp

DEMO_ORGANISATION = "6f0c1c1e-2f55-4d1a-9d57-0c5b1d3a7e01"  # "Imprimerie Martin", for now by id
DEMO_TICKETS = [
    {
        "title": "Bourrage papier récurrent sur le copieur du 2e étage",
        "description": "Le copieur se bloque à chaque impression recto-verso depuis lundi.",
        "priority": "high",
        "requester_email": "claire.martin@imprimerie-martin.example",
    },
    {
        "title": "Accès au portail pour un nouveau collaborateur",
        "description": "Merci de créer un accès pour Julien Petit, service comptabilité.",
        "priority": "normal",
        "requester_email": "claire.martin@imprimerie-martin.example",
    },
    {
        "title": "Invoice 2026-0412 shows the wrong VAT rate",
        "description": "The invoice applies 10% VAT instead of 20% on the maintenance line.",
        "priority": "low",
        "requester_email": "accounts@imprimerie-martin.example",
    },
]


async def load(tickets_url: str) -> int:
    async with aiohttp.ClientSession(
        headers={"X-Guichet-Organisation": DEMO_ORGANISATION}
    ) as session:
        for ticket in DEMO_TICKETS:
            async with session.post(f"{tickets_url}/tickets", json=ticket) as response:
                response.raise_for_status()
    return len(DEMO_TICKETS)
