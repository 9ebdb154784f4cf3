"""Read models' queries: every one scoped by an organisation, or None for vendor staff."""
