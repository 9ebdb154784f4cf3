"""The published catalogue of event types: an AsyncAPI 3.0 document built from the code.

`python -m shared.catalogue` rewrites docs/events/asyncapi.json; a test fails when the
committed document no longer matches the registered event classes, so other teams can
subscribe from the document alone and trust it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

import services
from shared.cloudevents import CloudEvent
from shared.events import EventRegistry
from shared.kafka import service_topic

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "events" / "asyncapi.json"


def _publishers() -> list[str]:
    """Every service with an events module: each is a publisher by construction."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules(services.__path__)
        if (ROOT / "services" / module.name / "events.py").exists()
    )


def _registry(service: str) -> EventRegistry:
    return importlib.import_module(f"services.{service}.events").registry


def build(namespace: str = "guichet") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"CloudEvent": CloudEvent.model_json_schema()}
    for service in _publishers():
        registry = _registry(service)
        if not registry.types():
            continue
        channel_messages = {}
        for event_type, event_class in sorted(registry.types().items()):
            name = event_class.__name__
            schemas[name] = event_class.model_json_schema()
            messages[name] = {
                "name": event_type,
                "title": name,
                "summary": (event_class.__doc__ or "").strip(),
                "contentType": "application/cloudevents+json",
                "headers": {
                    "type": "object",
                    "properties": {
                        "traceparent": {"type": "string"},
                        "tracestate": {"type": "string"},
                    },
                },
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/CloudEvent"},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": event_type},
                                "dataversion": {"const": event_class.version},
                                "data": {"$ref": f"#/components/schemas/{name}"},
                            },
                        },
                    ]
                },
                "bindings": {"kafka": {"key": {"type": "string", "description": "subject"}}},
            }
            channel_messages[name] = {"$ref": f"#/components/messages/{name}"}
        channels[service] = {
            "address": service_topic(namespace, service),
            "description": f"Events of the {service} service, keyed by aggregate id.",
            "messages": channel_messages,
        }
        operations[f"{service}Publishes"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{service}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Guichet events",
            "version": "1.0.0",
            "description": (
                "Every change in Guichet is an event, published to its service's Kafka topic"
                " as a CloudEvents 1.0 structured message. Types are stable; `dataversion`"
                " changes only when the data's schema does."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> None:
    DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOCUMENT.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
