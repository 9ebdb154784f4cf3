"""Tickets: support requests and their conversation."""
