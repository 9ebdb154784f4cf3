"""Benchmarks: event-store append throughput, outbox relay latency, password hashing, token
verification, the gateway's overhead and the sign-in rate.

Run them with `./guichet bench` (or `python -m bench`); see docs/performance.md.
"""
