"""Notifications: turns other services' events into emails, each sent once."""
