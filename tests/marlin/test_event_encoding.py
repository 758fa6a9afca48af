"""The store encodes each event's data and metadata once, for the hash and the insert alike: the
hashed text must stay byte for byte what the chain has always hashed, and what a command gets back
from its append must be what a reader later reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marlin.eventstore.integrity import canonical_json, content_tail, content_tail_of_json
from marlin.eventstore.store import command_transaction, read_stream
from marlin.kernel import clock
from tests.support.echo import Pinged

AWKWARD_VALUES = [
    {"b": [1, 2.5, {"z": "é\u2028\U0001f600", "a": None}], "a": True, "\u00e9": 'x"y\\'},
    {},
    {"nested": {"k": [[], {}, ""]}, "amount": str(Decimal("10.10"))},
]


@pytest.mark.parametrize("data", AWKWARD_VALUES)
def test_the_tail_built_from_encoded_parts_is_the_tail_the_chain_hashes(data: dict) -> None:
    metadata = {"actor": 7, "request_id": None, "correlation_id": "c"}
    event_id = str(uuid.uuid4())
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)

    whole = content_tail(
        event_id=event_id,
        stream="task-x",
        version=3,
        type="T",
        schema_version=2,
        data=data,
        metadata=metadata,
        recorded_at=moment,
    )
    parts = content_tail_of_json(
        event_id, "task-x", 3, "T", 2, canonical_json(data), canonical_json(metadata), moment
    )

    assert parts == whole


@pytest.mark.django_db
def test_what_an_append_returns_is_what_a_reader_reads() -> None:
    with command_transaction(actor_id=None) as uow:
        uow.append("ping-enc", 0, [Pinged(name="é\u2028", ping_id=uuid.uuid4(), at=clock.now())])
        flushed = uow.flush()

    assert read_stream("ping-enc") == flushed
    assert flushed[0].position is not None
