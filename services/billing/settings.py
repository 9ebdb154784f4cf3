"""The billing service's settings: the vendor shown on rendered PDFs, where PDFs are kept,
and the daily overdue check."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, FilePath

from shared.files.settings import FileStorageSettings

MEBIBYTE = 1024 * 1024


class BillingSettings(FileStorageSettings):
    attachments_dir: Path = Field(
        default=Path("var/billing/files"),
        description="Directory where invoice PDFs are stored (a persistent volume), unless"
        " GUICHET_ATTACHMENTS_S3_BUCKET is set",
    )
    attachments_s3_prefix: str = Field(
        default="invoices/",
        pattern=r"^([A-Za-z0-9._-]+/)*$",
        description="Where in the bucket invoice PDFs go (empty: the bucket's root)",
    )
    vendor_name: str = Field(default="Guichet", description="Printed on rendered invoices")
    vendor_logo_path: FilePath | None = Field(
        default=None, description="A PNG or JPEG printed at the top of rendered invoices"
    )
    invoice_pdf_max_bytes: int = Field(
        default=10 * MEBIBYTE, ge=1, le=200 * MEBIBYTE, description="Largest PDF an ERP uploads"
    )
    overdue_check_minutes: float = Field(
        default=60,
        gt=0,
        description="How often the overdue check runs (it marks each invoice once, so running"
        " it more often than daily only makes it prompt after midnight)",
    )
