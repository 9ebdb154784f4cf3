"""Webhooks: an organisation's own events, delivered to HTTPS endpoints its admins register,
signed, retried with backoff, recorded; an endpoint that keeps failing is disabled and its
owner emailed."""
