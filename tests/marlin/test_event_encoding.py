"""The store encodes each event's data and metadata once, for the hash and the insert alike: the
hashed text must stay byte for byte what the chain has always hashed, and what a command gets back
from its append must be what a reader later reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum

import pytest

from marlin.eventstore.integrity import canonical_json, content_tail, content_tail_of_json
from marlin.eventstore.store import command_transaction, read_stream
from marlin.kernel import clock
from marlin.kernel.events import DomainEvent, encode
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


class _Colour(StrEnum):
    RED = "red"


class _Rank(IntEnum):
    HIGH = 2


@dataclass(frozen=True)
class _Mixed(DomainEvent):
    type_name = "TestEncodingMixed"
    text: str
    number: int
    flag: bool
    nothing: None
    colour: _Colour
    rank: _Rank
    amount: Decimal
    ids: tuple[uuid.UUID, ...]
    nested: dict


def test_encode_passes_plain_values_through_and_converts_the_rest_as_before() -> None:
    an_id = uuid.UUID(int=7)
    event = _Mixed("é", 3, True, None, _Colour.RED, _Rank.HIGH, Decimal("1.50"), (an_id,), {"k": (an_id,)})

    encoded = encode(event)

    assert encoded == {
        "text": "é",
        "number": 3,
        "flag": True,
        "nothing": None,
        "colour": "red",
        "rank": 2,
        "amount": "1.50",
        "ids": [str(an_id)],
        "nested": {"k": [str(an_id)]},
    }
    assert canonical_json(encoded) == (
        f'{{"amount":"1.50","colour":"red","flag":true,"ids":["{an_id}"],"nested":{{"k":["{an_id}"]}},'
        '"nothing":null,"number":3,"rank":2,"text":"\\u00e9"}'
    )
