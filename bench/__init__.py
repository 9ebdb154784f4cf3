"""Benchmarks of the service kit: event-store append throughput and outbox relay latency.

Run them with `./guichet bench` (or `python -m bench`); see docs/performance.md.
"""
