"""The delivery note of one shipment: the vendor, the organisation, where to deliver (site,
location, the customer's delivery comment), the lines shipped and what is still to come, the
carrier and the note's number. Never the customer's own order reference (seed 003: "ne sera
pas visible sur le bon de livraison"). The page, header and table are the kit's."""

from __future__ import annotations

from services.orders.queries import DeliveryNoteData
from shared.pdf import GREY, INK, Page, Vendor, printable, table, vendor_header

COLUMNS = (120, 60)


def render(note: DeliveryNoteData, vendor: Vendor) -> bytes:
    """The PDF's bytes (French, as seed 003's customers read it). CPU-bound: run it in a
    thread."""
    pdf = Page(vendor)
    pdf.set_title(printable(f"Bon de livraison {note.delivery_note_number}"))
    pdf.set_author(printable(vendor.name))
    pdf.set_creator("Guichet")
    pdf.add_page()
    vendor_header(
        pdf,
        "BON DE LIVRAISON",
        [
            ("Bon n°", note.delivery_note_number),
            ("Commande", note.number),
            ("Expédié le", note.shipped_at.date().strftime("%d/%m/%Y")),
            ("Transporteur", note.carrier),
        ],
    )
    _deliver_to(pdf, note)
    _section(pdf, "Livré")
    table(
        pdf,
        COLUMNS,
        ("Consommable", "Quantité"),
        [(f"{ref} - {description}", str(quantity)) for ref, description, quantity in note.shipped],
    )
    _section(pdf, "Reste à livrer")
    if note.outstanding:
        table(
            pdf,
            COLUMNS,
            ("Consommable", "Quantité"),
            [(f"{ref} - {text}", str(quantity)) for ref, text, quantity in note.outstanding],
        )
    else:
        pdf.set_font("helvetica", size=10)
        pdf.cell(180, 6, printable("Rien : la commande est livrée en totalité."))
    return bytes(pdf.output())


def _deliver_to(pdf: Page, note: DeliveryNoteData) -> None:
    pdf.set_font("helvetica", size=9)
    pdf.set_text_color(*GREY)
    pdf.cell(180, 5, "Livrer à", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font("helvetica", "B", 11)
    pdf.multi_cell(180, 6, printable(note.organisation_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for line in (
        note.site_name,
        note.location,
        f"Machine : {note.model_name}, n° de série {note.serial_number}",
    ):
        if line:
            pdf.multi_cell(180, 5, printable(line), new_x="LMARGIN", new_y="NEXT")
    if note.delivery_comment:
        pdf.ln(2)
        pdf.set_font("helvetica", "I", 10)
        pdf.multi_cell(
            180,
            5,
            printable(f"Instructions : {note.delivery_comment}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(6)


def _section(pdf: Page, title: str) -> None:
    pdf.ln(2)
    pdf.set_font("helvetica", "B", 11)
    pdf.set_text_color(*INK)
    pdf.cell(180, 7, printable(title), new_x="LMARGIN", new_y="NEXT")
