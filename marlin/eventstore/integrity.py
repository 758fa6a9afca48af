"""The integrity chain: each event's hash covers its content and the previous event's hash.

Changing, removing or reordering any stored event breaks every later link, and
``verify_events`` reports the first broken one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    previous_hash: str,
    position: int,
    event_id: str,
    stream: str,
    version: int,
    type: str,
    schema_version: int,
    data: Any,
    metadata: Any,
    recorded_at: datetime,
) -> str:
    tail = content_tail(
        event_id=event_id,
        stream=stream,
        version=version,
        type=type,
        schema_version=schema_version,
        data=data,
        metadata=metadata,
        recorded_at=recorded_at,
    )
    return chain_hash(previous_hash, position, tail)


def content_tail(
    *,
    event_id: str,
    stream: str,
    version: int,
    type: str,
    schema_version: int,
    data: Any,
    metadata: Any,
    recorded_at: datetime,
) -> str:
    """The part of an event's hashed payload that does not depend on its place in the chain: the
    store serialises it before it takes the position counter's lock."""
    return json.dumps(
        [str(event_id), stream, version, type, schema_version, data, metadata, canonical_time(recorded_at)],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode


def canonical_json(value: Any) -> str:
    """``value`` as the chain serialises it (sorted keys, no spaces, ASCII): the store sends an
    event's data and metadata to the database in this form too, so each is encoded once."""
    return _canonical(value)


def content_tail_of_json(  # noqa: PLR0917 - the hashed fields, in the chain's order
    event_id: str,
    stream: str,
    version: int,
    type: str,
    schema_version: int,
    data_json: str,
    metadata_json: str,
    recorded_at: datetime,
) -> str:
    """``content_tail`` from data and metadata already encoded by ``canonical_json``: byte for byte
    the same string (a JSON list is its items' encodings joined by commas)."""
    return (
        f"[{_canonical_str(str(event_id))},{_canonical_str(stream)},{int(version)},{_canonical_str(type)},"
        f"{int(schema_version)},{data_json},{metadata_json},{_canonical_str(canonical_time(recorded_at))}]"
    )


# A string as ``_canonical`` encodes it (the function its ``encode`` calls for a str when
# ``ensure_ascii``), without the method call around it: four per event appended.
_canonical_str = json.encoder.encode_basestring_ascii


def chain_hash(previous_hash: str, position: int, tail: str) -> str:
    """sha256 of the JSON list ``[previous_hash, position, *tail]``: byte for byte the payload the
    chain has always hashed (a hex string and an integer serialise the same in any JSON)."""
    payload = f"[{json.dumps(previous_hash)},{int(position)},{tail[1:]}"
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    position: int
    reason: str


def find_first_break(rows: Iterable[Any], *, head_position: int, head_hash: str) -> ChainBreak | None:
    """Walk stored events in position order; return the first broken link, if any.

    ``rows`` are Event rows ordered by position. A gap in positions, a hash that does not match
    the content, or a chain that does not end where the position counter says, are all breaks.
    """
    previous_hash = GENESIS
    expected_position = 1
    for row in rows:
        if row.position != expected_position:
            return ChainBreak(expected_position, f"position {expected_position} is missing")
        recomputed = event_hash(
            previous_hash=previous_hash,
            position=row.position,
            event_id=str(row.event_id),
            stream=row.stream,
            version=row.version,
            type=row.type,
            schema_version=row.schema_version,
            data=row.data,
            metadata=row.metadata,
            recorded_at=row.recorded_at,
        )
        if recomputed != row.hash:
            return ChainBreak(row.position, "content does not match its hash (changed after append)")
        previous_hash = row.hash
        expected_position += 1
    last_position = expected_position - 1
    if last_position != head_position:
        return ChainBreak(last_position + 1, f"log ends at {last_position}, counter says {head_position}")
    if head_position and previous_hash != head_hash:
        return ChainBreak(head_position, "last hash differs from the counter's")
    return None
