"""Every event type has a schema version and is documented in docs/events.md."""

from __future__ import annotations

import re
from pathlib import Path

from marlin.kernel.events import event_types

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def documented() -> dict[str, int]:
    found: dict[str, int] = {}
    for heading in re.findall(r"^### (.+)$", DOCS.read_text(), flags=re.MULTILINE):
        for name, version in re.findall(r"(\w+) \(v(\d+)\)", heading):
            found[name] = int(version)
    return found


def test_every_event_type_is_documented_with_its_schema_version() -> None:
    product_events = {
        name: cls.schema_version
        for name, cls in event_types().items()
        if not cls.__module__.startswith("tests.")
    }

    assert product_events, "no event types registered"
    assert {name: documented().get(name) for name in product_events} == product_events


def test_the_catalogue_documents_no_event_that_does_not_exist() -> None:
    assert set(documented()) <= set(event_types())
