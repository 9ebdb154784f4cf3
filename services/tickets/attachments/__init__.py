"""Attachments: files stored outside the database, sniffed, under generated names."""
