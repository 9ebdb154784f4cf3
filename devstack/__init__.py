"""The one-command local stack: PostgreSQL, a Kafka-compatible broker, a mail catcher and every
service, each its own process. Also what the tests and benchmarks start their servers with."""
