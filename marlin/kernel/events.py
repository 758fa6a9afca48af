"""Domain events: frozen dataclasses, registered by type name, with a JSON codec.

A domain event is a fact in the past tense (``TaskClaimed``). Each event class names its type and
schema version; the registry turns stored JSON back into the dataclass, upcasting older schema
versions first. Nothing here imports Django, so deciders and their tests stay pure.

Every event type is documented in ``docs/events.md``; a test keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

JsonDict = dict[str, Any]
Upcaster = Callable[[JsonDict], JsonDict]

_EVENT_TYPES: dict[str, type[DomainEvent]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}

E = TypeVar("E", bound="DomainEvent")


class DomainEvent:
    """Base class of every event. Subclasses are ``@dataclass(frozen=True)``."""

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type_name") or cls.__name__
        cls.type_name = name
        existing = _EVENT_TYPES.get(name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {name!r} is registered twice")
        _EVENT_TYPES[name] = cls


def event_types() -> Mapping[str, type[DomainEvent]]:
    """Every registered event type by name."""
    return dict(_EVENT_TYPES)


def event_class(type_name: str) -> type[DomainEvent]:
    try:
        return _EVENT_TYPES[type_name]
    except KeyError:
        raise LookupError(f"unknown event type {type_name!r}") from None


def register_upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns ``from_version`` data into ``from_version + 1`` data."""

    def decorator(function: Upcaster) -> Upcaster:
        _UPCASTERS[(type_name, from_version)] = function
        return function

    return decorator


def stream_name(kind: str, identity: object) -> str:
    """The stream of one aggregate, e.g. ``task-<uuid>``."""
    return f"{kind}-{identity}"


# --- codec -------------------------------------------------------------------------------------


def encode(event: DomainEvent) -> JsonDict:
    """The event's fields as JSON-ready data (UUID, Decimal, datetime become strings)."""
    encoded = {}
    for name in _field_names(type(event)):
        value = getattr(event, name)
        # Most fields are text or numbers already (an import encodes thousands of events).
        encoded[name] = value if type(value) in _JSON_AS_IS else _to_json(value)
    return encoded


_JSON_AS_IS = frozenset({str, int, bool, type(None)})  # exact types: a str enum is not one


def _field_names(cls: type) -> tuple[str, ...]:
    """The event class's field names, worked out once per class (``dataclasses.fields`` builds
    them each time)."""
    cached = cls.__dict__.get("_codec_field_names")
    if cached is None:
        cached = tuple(field.name for field in dataclasses.fields(cls))
        cls._codec_field_names = cached  # type: ignore[attr-defined]
    return cached


def decode(type_name: str, schema_version: int, data: JsonDict) -> DomainEvent:
    """Rebuild an event from stored data, upcasting it to the current schema version."""
    cls = event_class(type_name)
    version = schema_version
    while version < cls.schema_version:
        upcast = _UPCASTERS.get((type_name, version))
        if upcast is None:
            raise LookupError(f"no upcaster for {type_name} v{version}")
        data = upcast(dict(data))
        version += 1
    values = {}
    for name, convert in _decoder(cls):
        if name in data:
            value = data[name]
            values[name] = value if convert is None or value is None else convert(value)
    return cls(**values)


Converter = Callable[[Any], Any]


def _decoder(cls: type) -> tuple[tuple[str, Converter | None], ...]:
    """Each field of an event class with the function that rebuilds it from JSON (None: the JSON
    value as it is), worked out from the type hints once per class: decoding is on every read
    of a stream and every replayed event."""
    cached = cls.__dict__.get("_codec_decoder")
    if cached is None:
        hints = _hints(cls)
        cached = tuple((field.name, _converter(hints[field.name])) for field in dataclasses.fields(cls))
        cls._codec_decoder = cached  # type: ignore[attr-defined]
    return cached


def _converter(hint: Any) -> Converter | None:  # noqa: PLR0911 - a branch per supported type
    """``_from_json`` for one hint, decided once; the result is called only on non-null values."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) != 1:
            return None
        return _converter(options[0])
    if origin in (tuple, list, frozenset):
        args = typing.get_args(hint)
        item = _converter(args[0]) if args else None
        if item is None:
            return origin
        return lambda value: origin([None if entry is None else item(entry) for entry in value])
    if origin in (dict, Mapping) or hint in (dict, Any):
        return None
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return hint
        simple = {UUID: UUID, Decimal: Decimal, datetime: datetime.fromisoformat, date: date.fromisoformat}
        if hint in simple:
            return simple[hint]
        if dataclasses.is_dataclass(hint):
            return lambda value: _from_json(hint, value)
    return None


def _hints(cls: type) -> dict[str, Any]:
    cached = cls.__dict__.get("_codec_hints")
    if cached is None:
        cached = typing.get_type_hints(cls)
        cls._codec_hints = cached  # type: ignore[attr-defined]
    return cached


def _to_json(value: Any) -> Any:  # noqa: PLR0911 - a branch per supported type
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("event datetimes must be timezone-aware")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        raise TypeError("floats are not allowed in events; use Decimal or int")
    if type(value) in (tuple, list):  # before the slower Mapping check: tags, lists of ids
        return [_to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_to_json(item) for item in value]
    if dataclasses.is_dataclass(value):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot encode {type(value).__name__} in an event")


def _from_json(hint: Any, value: Any) -> Any:  # noqa: PLR0911 - a branch per supported type
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _from_json(options[0], value) if len(options) == 1 else value
    if origin in (tuple, list, frozenset):
        args = typing.get_args(hint)
        item_hint = args[0] if args else Any
        items = [_from_json(item_hint, item) for item in value]
        return origin(items)
    if origin in (dict, Mapping) or hint in (dict, Any):
        return value
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return hint(value)
        if hint is UUID:
            return UUID(value)
        if hint is Decimal:
            return Decimal(value)
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if dataclasses.is_dataclass(hint):
            nested = _hints(hint)
            return hint(**{name: _from_json(nested[name], item) for name, item in value.items()})
    return value
