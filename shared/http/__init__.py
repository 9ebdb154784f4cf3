"""The aiohttp side of the kit: app factory, problem+json errors, request context, health."""
