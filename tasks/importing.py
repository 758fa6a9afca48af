"""Task import: parse a JSON list, a JSONL file or a CSV file into rows, then import them.

Rows are numbered from 1 (for CSV, row 1 is the line after the header). Every row is checked;
valid rows are imported in chunks, each chunk one transaction appended in bulk, so an import
never leaves a half-written chunk; invalid rows are reported with their field errors. Importing
an external id that the project already has creates nothing (its task id is derived from it).

Under the project's ``overlap`` each valid row is an item that becomes that many sibling tasks
(``X``, ``X#2``, ...; see ``sibling_external_ids``); ``created`` and ``skipped`` count tasks,
siblings included.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection

from marlin.api.parsers import loads
from marlin.eventstore.store import command_transaction
from marlin.kernel.errors import ConcurrencyConflict, Conflict, InvalidInput
from tasks.domain.events import task_stream
from tasks.domain.rows import CSV_COLUMNS, TaskRow, clean_task_row, gold_columns_gathered
from tasks.domain.task import TaskState, decide_import, sibling_external_ids, task_id_for
from tasks.models import Task
from tasks.selectors import existing_task_ids, project_policy

CHUNK_SIZE = 500
CHUNK_RETRIES = 3
ANALYZE_AFTER = 1000  # rows created by one import

Row = tuple[int, Any]  # (row number, raw row)
Sibling = tuple[int, TaskRow, str | None]  # (row number, the task's row, its item if it has siblings)


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "skipped": self.skipped, "errors": self.errors}


# --- parsing -----------------------------------------------------------------------------------------


def rows_from_json(data: Any) -> list[Row]:
    if not isinstance(data, list):
        raise InvalidInput(
            fields={"tasks": ["send a JSON list of tasks, or upload a JSONL or CSV file as 'file'"]}
        )
    return _capped(enumerate(data, start=1))


def rows_from_file(name: str, lines: Iterable[bytes]) -> list[Row]:
    """The rows of an uploaded JSONL or CSV file, read line by line (an uploaded file iterates
    its lines); reading stops at ``MARLIN_IMPORT_MAX_ROWS``, so a file is never held whole."""
    if isinstance(lines, bytes | bytearray):
        raise TypeError("rows_from_file reads lines: pass the open file, not its bytes")
    text = _utf8_lines(lines)
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return _capped(_jsonl_rows(text))
    if lowered.endswith(".csv"):
        return _capped(_csv_rows(text))
    # Neither name says which: a file whose first non-blank line opens an object is JSONL.
    read: list[str] = []
    for line in text:
        read.append(line)
        if line.strip():
            break
    rows = _jsonl_rows if read and read[-1].lstrip().startswith("{") else _csv_rows
    return _capped(rows(itertools.chain(read, text)))


def _utf8_lines(lines: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        for line in lines:
            yield decoder.decode(line)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InvalidInput(fields={"file": ["the file must be UTF-8 text"]}) from None


def _jsonl_rows(lines: Iterable[str]) -> Iterator[Row]:
    number = 0
    for line in lines:
        if not line.strip():
            continue
        number += 1
        try:
            yield number, loads(line)
        except ValueError as error:
            yield number, _Unparsable(f"not valid JSON: {error}")


def _csv_rows(lines: Iterable[str]) -> Iterator[Row]:
    try:
        reader = csv.DictReader(lines, strict=True)
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as error:
        raise InvalidInput(fields={"file": [f"not valid CSV: {error}"]}) from None
    if not header:
        raise InvalidInput(fields={"file": ["the CSV file has no header row"]})
    unknown = sorted(set(header) - set(CSV_COLUMNS))
    if unknown:
        raise InvalidInput(fields={"file": [f"unknown columns {unknown}; columns are {list(CSV_COLUMNS)}"]})
    reader.fieldnames = header
    try:
        for number, record in enumerate(reader, start=1):
            if None in record:
                yield number, _Unparsable("more values than columns")
            else:
                present = {key: value for key, value in record.items() if value is not None}
                yield number, gold_columns_gathered(present)
    except csv.Error as error:
        raise InvalidInput(fields={"file": [f"not valid CSV at row {reader.line_num}: {error}"]}) from None


@dataclass(frozen=True)
class _Unparsable:
    message: str


def _capped(rows: Iterable[Row]) -> list[Row]:
    """The rows, read no further than one past the cap: past it the import is refused."""
    limit = settings.MARLIN_IMPORT_MAX_ROWS
    taken: list[Row] = []
    for row in rows:
        if len(taken) == limit:
            raise InvalidInput(fields={"tasks": [f"at most {limit} tasks per import; split the file"]})
        taken.append(row)
    if not taken:
        raise InvalidInput(fields={"tasks": ["no tasks to import"]})
    return taken


# --- the command -------------------------------------------------------------------------------------


def task_import(
    *,
    actor_id: int | None,
    project_id: UUID,
    rows: Sequence[Row],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check every row, then import the valid ones in chunks; report created, skipped, errors."""
    policy = project_policy(project_id)
    if policy.status == "archived":
        raise Conflict("tasks cannot be imported into an archived project", code="project_archived")
    result = ImportResult()
    valid: dict[UUID, Sibling] = {}
    for number, raw in rows:
        row = _clean(number, raw, result)
        if row is None:
            continue
        for external_id in sibling_external_ids(row.external_id, policy.overlap):
            task_id = task_id_for(project_id, external_id)
            if task_id in valid:
                result.skipped += 1  # the same external id twice in one import
                continue
            sibling = row if external_id == row.external_id else replace(row, external_id=external_id)
            valid[task_id] = (number, sibling, row.external_id if policy.overlap > 1 else None)
    for chunk in _chunks(list(valid.items()), CHUNK_SIZE):
        created = _import_chunk(actor_id, project_id, chunk)
        result.created += created
        result.skipped += len(chunk) - created
        if progress is not None:
            progress(len(chunk))
    if result.created >= ANALYZE_AFTER:
        refresh_statistics()
    return result


def refresh_statistics() -> None:
    """Refresh the planner's statistics of the claim queue's columns after a large import.

    Until autovacuum gets to them, the planner would still believe the open queue as small as it
    was, and the next claim could sort every open task instead of reading the queue's index.
    Only the columns the claim filters and orders on are sampled, never the large texts, so this
    costs milliseconds.
    """
    table = connection.ops.quote_name(Task._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(Task._meta.get_field(name).column) for name in CLAIM_COLUMNS
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table} ({columns})")
        elif connection.vendor == "sqlite":
            cursor.execute(f"ANALYZE {table}")


CLAIM_COLUMNS = ("project", "status", "priority", "created_at", "import_row")


def _clean(number: int, raw: Any, result: ImportResult) -> TaskRow | None:
    if isinstance(raw, _Unparsable):
        result.errors.append({"row": number, "errors": {"row": [raw.message]}})
        return None
    if not isinstance(raw, dict):
        result.errors.append({"row": number, "errors": {"row": ["each task must be an object"]}})
        return None
    try:
        return clean_task_row(raw)
    except InvalidInput as invalid:
        result.errors.append({"row": number, "errors": invalid.fields})
        return None


def _import_chunk(actor_id: int | None, project_id: UUID, chunk: list[tuple[UUID, Sibling]]) -> int:
    """One transaction: append a TaskImported for each task the project does not have yet.

    A concurrent import of the same ids makes the append conflict; the chunk is then retried
    and finds those tasks existing.
    """
    for attempt in range(1, CHUNK_RETRIES + 1):
        try:
            with command_transaction(actor_id=actor_id) as uow:
                policy = project_policy(project_id)
                ids = [task_id for task_id, _ in chunk]
                existing = existing_task_ids(ids)
                appends = [
                    (
                        task_stream(task_id),
                        0,
                        decide_import(
                            TaskState(),
                            task_id=task_id,
                            row=row,
                            row_number=number,
                            project=policy,
                            item=item,
                        ),
                    )
                    for task_id, (number, row, item) in chunk
                    if task_id not in existing
                ]
                uow.append_many(appends)
            return len(appends)
        except ConcurrencyConflict:
            if attempt == CHUNK_RETRIES:
                raise
    return 0


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
