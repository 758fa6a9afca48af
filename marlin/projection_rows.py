"""Where projectors write: ``rows(Model)``, a small row store with two backings.

Live, every call is one SQL statement in the command's transaction (an upsert is one
``INSERT ... ON CONFLICT``, never a read then a write). During a rebuild the tables of the
projectors that write only through this API start empty and are held in memory instead: rows in
a dict keyed by primary key, with lazily built secondary indexes for the columns handlers filter
on. The replay then costs a few dict operations per event, and each table is written once at the
end (``COPY`` on PostgreSQL, ``bulk_create`` elsewhere).

The two backings mean the same thing by every call: a filter is a conjunction of equalities
(``None`` matches NULL) and ``<column>__in``; values are attribute names (``task_id``, not
``task``). Handlers read only their own projector's tables, so holding rows until the end of the
replay changes nothing they see.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models
from django.db.models import F
from django.db.models.constants import OnConflict
from django.db.models.fields import AutoFieldMixin
from django.db.models.sql import DeleteQuery, InsertQuery, UpdateQuery

from marlin.bulk_copy import COPY_FROM, copy_rows
from marlin.fields import PlainValuesPlaceholder

Where = Mapping[str, Any]


@dataclass(frozen=True)
class Increment:
    """``update(..., pending=Increment(1))``: add to the column's current value."""

    by: int


class SqlRows:
    """The live backing: each call is one statement; inside ``writes_together`` on PostgreSQL the
    writes of different tables are held and sent as one statement (see there)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.manager = model._base_manager
        self.pk_names = _pk_names(model)

    def insert(self, **values: Any) -> None:
        if _held() is None:
            self.manager.bulk_create([self.model(**values)])
            return
        self._hold(_insert_sql(self.model, values))

    def insert_many(self, rows: Iterable[Mapping[str, Any]], *, ignore_conflicts: bool = False) -> None:
        """Many rows at once: on PostgreSQL a run of them (a bulk import) is one ``COPY``, which
        skips building and parsing a statement of every value."""
        rows = list(rows)
        if not rows:
            return
        _send_held()
        if connection.vendor == "postgresql" and not ignore_conflicts and len(rows) >= COPY_FROM:
            defaults = _defaults(self.model)
            copy_rows(self.model, ({**defaults, **row} for row in rows))
            return
        objects = [self.model(**row) for row in rows]
        self.manager.bulk_create(objects, batch_size=500, ignore_conflicts=ignore_conflicts)

    def upsert(self, **values: Any) -> None:
        """Insert the row, or update every given column of the row with its primary key: one
        ``INSERT ... ON CONFLICT (pk) DO UPDATE``."""
        update = [name for name in values if name not in self.pk_names]
        if _held() is None:
            self.manager.bulk_create(
                [self.model(**values)],
                update_conflicts=True,
                unique_fields=[_field_name(self.model, name) for name in self.pk_names],
                update_fields=[_field_name(self.model, name) for name in update],
            )
            return
        self._hold(_insert_sql(self.model, values, conflict_update=update, conflict_on=self.pk_names))

    def update(self, where: Where, **values: Any) -> None:
        statement = self._plain_update_sql(where, values) if connection.vendor == "postgresql" else None
        if statement is not None:
            if not statement[0]:
                return
            if _held() is None:
                with connection.cursor() as cursor:
                    cursor.execute(*statement)
                return
            # Held like any other write: sent at once it would run ahead of the held writes
            # (missing a row one of them inserts) and cost its own round trip.
            self._hold(statement)
            return
        changes = {
            name: F(name) + value.by if isinstance(value, Increment) else value
            for name, value in values.items()
        }
        if _held() is None:
            self.manager.filter(**where).update(**changes)
            return
        query = self.manager.filter(**where).query.chain(UpdateQuery)
        query.add_update_values(changes)
        query.annotations = {}
        self._hold(query.get_compiler(connection.alias).as_sql())

    def _plain_update_sql(self, where: Where, values: Mapping[str, Any]) -> tuple[str, list[Any]] | None:
        """The UPDATE written out (projectors run one on most events; the ORM took longer to build
        it than the database to run it); ``("", [])`` when it sets nothing. None for anything but
        equalities on columns and plain or ``Increment`` values; the ORM builds those."""
        columns = _columns(self.model)
        if not all(name in columns for name in values):
            return None
        condition = _plain_condition(self.model, where)
        if condition is None:
            return None
        quote = connection.ops.quote_name
        sets, params = [], []
        for name, value in values.items():
            field = columns[name]
            column = quote(field.column)
            if isinstance(value, Increment):
                sets.append(f"{column} = {column} + %s")
                params.append(value.by)
            elif isinstance(value, models.expressions.Combinable):
                return None
            else:
                sets.append(f"{column} = %s")
                params.append(field.get_db_prep_save(value, connection))
        if not sets:
            return "", []
        table = quote(self.model._meta.db_table)
        where_sql, where_params = condition
        return f"UPDATE {table} SET {', '.join(sets)} WHERE {where_sql}", [*params, *where_params]

    def delete(self, **where: Any) -> None:
        condition = _plain_condition(self.model, where) if connection.vendor == "postgresql" else None
        if condition is not None:
            # Written out, as ``update`` does: the ORM took longer to build it than to run it.
            where_sql, params = condition
            statement = (
                f"DELETE FROM {connection.ops.quote_name(self.model._meta.db_table)} WHERE {where_sql}",
                params,
            )
            if _held() is None:
                with connection.cursor() as cursor:
                    cursor.execute(*statement)
            else:
                self._hold(statement)
            return
        if _held() is None:
            self.manager.filter(**where)._raw_delete(connection.alias)
            return
        query = self.manager.filter(**where).query.clone()
        query.__class__ = DeleteQuery
        self._hold(query.get_compiler(connection.alias).as_sql())

    def values(self, *names: str, **where: Any) -> list[tuple[Any, ...]]:
        _send_held()  # a read sees every write before it
        return list(self.manager.filter(**where).values_list(*names))

    def _hold(self, statement: tuple[str, Sequence[Any]]) -> None:
        held = _held()
        assert held is not None
        table = self.model._meta.db_table
        if table in held.tables:
            _send_held()  # two writes of one table never share a statement (the same row twice)
        held.tables.add(table)
        held.statements.append(statement)


@dataclass
class _Held:
    tables: set[str]
    statements: list[tuple[str, Sequence[Any]]]


def _held() -> _Held | None:
    return getattr(_state, "held", None)


@contextmanager
def writes_together() -> Iterator[None]:
    """Hold the live writes made in the block and send them as few statements as it can: on
    PostgreSQL, writes to different tables become one statement (each a data-modifying CTE of
    the last), which is one round trip where there were several.

    Safe because a projector's writes are independent of each other within a table set: each
    filters on its own table by equalities, and a CTE's parts run on one snapshot, so no part
    needs another's effect. A second write to a table already held sends the held ones first
    (a statement may not change one row twice), and so does any read (``values``), so reads
    always see every write made before them. Errors (a unique violation) surface at the
    block's end, still inside the caller's handling. Elsewhere (SQLite) every call is sent at
    once, as outside the block.
    """
    if connection.vendor != "postgresql" or _held() is not None:
        yield
        return
    _state.held = _Held(set(), [])
    try:
        yield
        _send_held()
    finally:
        _state.held = None


def _send_held() -> None:
    held = _held()
    if held is None or not held.statements:
        return
    statements, held.statements = held.statements, []
    held.tables.clear()
    *parts, (last_sql, last_params) = statements
    sql = ", ".join(f"w{index} AS ({part_sql})" for index, (part_sql, _) in enumerate(parts))
    params = [param for _, part_params in parts for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {sql} {last_sql}" if parts else last_sql, [*params, *last_params])


def _insert_sql(
    model: type[models.Model],
    values: Mapping[str, Any],
    *,
    conflict_update: Sequence[str] = (),
    conflict_on: Sequence[str] = (),
) -> tuple[str, Sequence[Any]]:
    """One row's ``INSERT`` (``ON CONFLICT (pk) DO UPDATE`` of ``conflict_update``), as Django
    builds it for ``bulk_create``: the fields it would send and no ``RETURNING``.

    Django's compiler builds the SQL once per shape (the table, whether the key is given, the
    conflict clause); after that only the values are prepared, as its compiler prepares them.
    Building the statement had cost more than PostgreSQL spends running it (0.3 ms a row)."""
    obj = model(**values)
    key = (model, obj.pk is None, tuple(conflict_update), tuple(conflict_on))
    shape = _INSERT_SHAPES.get(key)
    params = None if shape is None else _insert_params(obj, shape[1])
    if shape is not None and params is not None:
        return shape[0], params
    sql, django_params = _django_insert_sql(model, obj, conflict_update, conflict_on)
    fields = _insert_fields(model, obj)
    if shape is None and len(django_params) == len(fields) and _insert_params(obj, fields) is not None:
        _INSERT_SHAPES[key] = (sql, fields)
    return sql, django_params


# (model, key given, conflict update, conflict on) -> (the INSERT's SQL, its fields in order)
_INSERT_SHAPES: dict[tuple[Any, ...], tuple[str, tuple[models.Field, ...]]] = {}


def _insert_fields(model: type[models.Model], obj: models.Model) -> tuple[models.Field, ...]:
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    if obj.pk is None:
        fields = [field for field in fields if not isinstance(field, AutoFieldMixin)]
    return tuple(fields)


def _insert_params(obj: models.Model, fields: Sequence[models.Field]) -> list[Any] | None:
    """The row's parameters as Django's insert compiler prepares them; None where it would
    write a value into the SQL instead (an expression), or a field places its own."""
    params = []
    for field in fields:
        value = field.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):
            return None
        if hasattr(field, "get_placeholder") and not isinstance(field, PlainValuesPlaceholder):
            return None
        prepared = field.get_db_prep_save(value, connection=connection)
        if hasattr(prepared, "as_sql"):
            return None
        params.append(prepared)
    return params


def _django_insert_sql(
    model: type[models.Model], obj: models.Model, conflict_update: Sequence[str], conflict_on: Sequence[str]
) -> tuple[str, Sequence[Any]]:
    query = InsertQuery(
        model,
        on_conflict=OnConflict.UPDATE if conflict_update else None,
        update_fields=[model._meta.get_field(_field_name(model, name)) for name in conflict_update],
        unique_fields=[model._meta.get_field(_field_name(model, name)) for name in conflict_on],
    )
    query.insert_values(list(_insert_fields(model, obj)), [obj])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, params


def _plain_condition(model: type[models.Model], where: Where) -> tuple[str, list[Any]] | None:
    """``where`` (equalities on columns, ``None`` for NULL) as SQL and its parameters; None for
    anything else (``__in``), which the ORM builds."""
    columns = _columns(model)
    if not all(name in columns for name in where):
        return None
    quote = connection.ops.quote_name
    conditions, params = [], []
    for name, value in where.items():
        field = columns[name]
        if value is None:
            conditions.append(f"{quote(field.column)} IS NULL")
        else:
            conditions.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_value(value, connection))
    return " AND ".join(conditions) or "TRUE", params


class MemoryRows:
    """The rebuild backing: the table's rows in a dict, written once by ``flush``."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.pk_names = _pk_names(model)
        self.defaults = _defaults(model)
        self.rows: dict[Any, dict[str, Any]] = {}
        self.indexes: dict[str, dict[Any, set[Any]]] = {}

    # --- writes ------------------------------------------------------------------------------------

    def insert(self, **values: Any) -> None:
        key = self._key(values)
        if key in self.rows:
            raise IntegrityError(f"{self.model._meta.db_table}: duplicate key {key!r}")
        self._add(key, values)

    def insert_many(self, rows: Iterable[Mapping[str, Any]], *, ignore_conflicts: bool = False) -> None:
        for values in rows:
            key = self._key(values)
            if key in self.rows:
                if ignore_conflicts:
                    continue
                raise IntegrityError(f"{self.model._meta.db_table}: duplicate key {key!r}")
            self._add(key, values)

    def upsert(self, **values: Any) -> None:
        key = self._key(values)
        if key in self.rows:
            self._set(key, values)
        else:
            self._add(key, values)

    def update(self, where: Where, **values: Any) -> None:
        for key in self._matching(where):
            row = self.rows[key]
            self._set(
                key,
                {
                    name: row[name] + value.by if isinstance(value, Increment) else value
                    for name, value in values.items()
                },
            )

    def delete(self, **where: Any) -> None:
        for key in self._matching(where):
            row = self.rows.pop(key)
            for name, index in self.indexes.items():
                index[row[name]].discard(key)

    def values(self, *names: str, **where: Any) -> list[tuple[Any, ...]]:
        return [
            tuple(self.rows[key][_attname(self, name)] for name in names) for key in self._matching(where)
        ]

    # --- the end of the replay ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every held row: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere."""
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            copy_rows(self.model, self.rows.values())
        else:
            self.model._base_manager.bulk_create([self.model(**row) for row in self.rows.values()])

    # --- inside ----------------------------------------------------------------------------------------

    def _key(self, values: Mapping[str, Any]) -> Any:
        if len(self.pk_names) == 1:
            return values[self.pk_names[0]]
        return tuple(values[name] for name in self.pk_names)

    def _add(self, key: Any, values: Mapping[str, Any]) -> None:
        row = {**self.defaults, **values}
        self.rows[key] = row
        for name, index in self.indexes.items():
            index.setdefault(row[name], set()).add(key)

    def _set(self, key: Any, values: Mapping[str, Any]) -> None:
        row = self.rows[key]
        for name, value in values.items():
            index = self.indexes.get(name)
            if index is not None and row[name] != value:
                index[row[name]].discard(key)
                index.setdefault(value, set()).add(key)
            row[name] = value

    def _matching(self, where: Where) -> list[Any]:
        if len(where) == 1 and "pk" in where:  # the usual case: one row by its key
            key = where["pk"]
            return [key] if key in self.rows else []
        conditions = {_attname(self, name): value for name, value in where.items()}
        if "pk" in conditions:
            keys: Iterable[Any] = [conditions.pop("pk")]
        elif "pk__in" in conditions:
            keys = conditions.pop("pk__in")
        elif all(name in conditions for name in self.pk_names):
            keys = [self._key(conditions)]
        else:
            name = next(name for name in conditions if not name.endswith("__in"))
            keys = list(self._index(name).get(conditions.pop(name), ()))
        return [key for key in keys if key in self.rows and _matches(self.rows[key], conditions)]

    def _index(self, name: str) -> dict[Any, set[Any]]:
        index = self.indexes.get(name)
        if index is None:
            index = {}
            for key, row in self.rows.items():
                index.setdefault(row[name], set()).add(key)
            self.indexes[name] = index
        return index


def _matches(row: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    for name, value in conditions.items():
        if name.endswith("__in"):
            if row[name[: -len("__in")]] not in value:
                return False
        elif row[name] != value:
            return False
    return True


def _pk_names(model: type[models.Model]) -> tuple[str, ...]:
    pk = model._meta.pk
    if isinstance(pk, models.CompositePrimaryKey):
        return tuple(field.attname for field in pk.fields)
    return (pk.attname,)


def _attname(table: MemoryRows, name: str) -> str:
    if name == "pk" and len(table.pk_names) == 1:
        return table.pk_names[0]
    if name == "pk__in" and len(table.pk_names) == 1:
        return "pk__in"
    return name


_COLUMNS: dict[type[models.Model], dict[str, models.Field]] = {}


def _columns(model: type[models.Model]) -> dict[str, models.Field]:
    """The model's concrete single-column fields by attribute name, with ``pk`` for a
    single-column primary key."""
    found = _COLUMNS.get(model)
    if found is None:
        found = {field.attname: field for field in model._meta.concrete_fields if field.column}
        if not isinstance(model._meta.pk, models.CompositePrimaryKey):
            found["pk"] = model._meta.pk
        _COLUMNS[model] = found
    return found


def _field_name(model: type[models.Model], attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    return attname


def _defaults(model: type[models.Model]) -> dict[str, Any]:
    """Every column's default, as the ORM would fill it in (the primary key has none)."""
    pk_names = _pk_names(model)
    return {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if field.attname not in pk_names
    }


# --- which backing ---------------------------------------------------------------------------------

_state = threading.local()
_sql: dict[type[models.Model], SqlRows] = {}


def rows(model: type[models.Model]) -> SqlRows | MemoryRows:
    """The row store of ``model``: in memory while a rebuild folds it, SQL otherwise."""
    memory = getattr(_state, "memory", None)
    if memory is not None and model in memory:
        return memory[model]
    store = _sql.get(model)
    if store is None:
        store = _sql[model] = SqlRows(model)
    return store


@contextmanager
def held_in_memory(models_: Sequence[type[models.Model]]) -> Iterator[dict[type[models.Model], MemoryRows]]:
    """Hold these (emptied) tables in memory for the block; the caller flushes them."""
    memory = {model: MemoryRows(model) for model in models_}
    _state.memory = memory
    try:
        yield memory
    finally:
        _state.memory = None
