"""Billing: the vendor's invoices and credit notes, their PDFs, and what is still owed."""
