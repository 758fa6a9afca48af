"""The period report finance pays from: one row per contributor and currency, and a total row
per currency. JSON and CSV come from the same rows; CSV is streamed, so memory stays flat.

Columns: contributor, name, email, approved_tasks, gross, reversals, net, currency,
statement_status, ytd_net. ``reversals`` is the amount taken back (a positive figure), so
net = gross - reversals = the sum of the period's entries. ``statement_status`` is ``open``
(the period is not closed), ``issued``, ``paid`` or ``none`` (closed with a zero net: nothing to
pay). ``ytd_net`` is the net of every entry from the year's first week to this one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from marlin.kernel.money import from_cents
from marlin.kernel.safe_csv import Cell, csv_lines
from payments.domain import EntryKind
from payments.models import ClosedPeriod, PayoutEntry, Statement
from payments.periods import year_of

COLUMNS = [
    "contributor",
    "name",
    "email",
    "approved_tasks",
    "gross",
    "reversals",
    "net",
    "currency",
    "statement_status",
    "ytd_net",
]


@dataclass(frozen=True)
class ReportRow:
    contributor: int | str
    name: str
    email: str
    approved_tasks: int
    gross: int
    reversals: int
    net: int
    currency: str
    statement_status: str
    ytd_net: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "contributor": self.contributor,
            "name": self.name,
            "email": self.email,
            "approved_tasks": self.approved_tasks,
            "gross": str(from_cents(self.gross)),
            "reversals": str(from_cents(self.reversals)),
            "net": str(from_cents(self.net)),
            "currency": self.currency,
            "statement_status": self.statement_status,
            "ytd_net": None if self.ytd_net is None else str(from_cents(self.ytd_net)),
        }

    def csv_cells(self) -> list[Cell]:
        """The CSV columns, amounts as numbers (``Decimal``) so only text is ever escaped."""
        return [
            self.contributor,
            self.name,
            self.email,
            self.approved_tasks,
            from_cents(self.gross),
            from_cents(self.reversals),
            from_cents(self.net),
            self.currency,
            self.statement_status,
            None if self.ytd_net is None else from_cents(self.ytd_net),
        ]


def _per_contributor(period: str) -> Any:
    year_to_date = (
        PayoutEntry.objects.filter(
            contributor_id=OuterRef("contributor_id"),
            currency=OuterRef("currency"),
            period__gte=f"{year_of(period)}-W01",
            period__lte=period,
        )
        .values("contributor_id")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    statement = Statement.objects.filter(
        period=period, contributor_id=OuterRef("contributor_id"), currency=OuterRef("currency")
    )
    return (
        PayoutEntry.objects.using(settings.MARLIN_REPORTS_DATABASE)
        .filter(period=period)
        .values("contributor_id", "currency")
        .annotate(
            name=F("contributor__name"),
            email=F("contributor__email"),
            approved_tasks=Count("pk", filter=Q(kind=EntryKind.ACCRUAL)),
            gross=Coalesce(Sum("amount_cents", filter=Q(kind=EntryKind.ACCRUAL)), 0),
            taken_back=Coalesce(Sum("amount_cents", filter=Q(kind=EntryKind.REVERSAL)), 0),
            net=Sum("amount_cents"),
            ytd=Subquery(year_to_date),
            issued=Exists(statement),
            paid=Exists(statement.filter(paid_at__isnull=False)),
        )
        .order_by("contributor_id", "currency")
    )


def report_rows(period: str) -> Iterator[ReportRow]:
    closed = ClosedPeriod.objects.using(settings.MARLIN_REPORTS_DATABASE).filter(period=period).exists()
    for row in _per_contributor(period).iterator(chunk_size=1000):
        status = "paid" if row["paid"] else "issued" if row["issued"] else "none" if closed else "open"
        yield ReportRow(
            contributor=row["contributor_id"],
            name=row["name"],
            email=row["email"],
            approved_tasks=row["approved_tasks"],
            gross=row["gross"],
            reversals=-row["taken_back"],
            net=row["net"],
            currency=row["currency"],
            statement_status=status,
            ytd_net=row["ytd"],
        )


def report_totals(period: str) -> list[ReportRow]:
    rows = (
        PayoutEntry.objects.using(settings.MARLIN_REPORTS_DATABASE)
        .filter(period=period)
        .values("currency")
        .annotate(
            approved_tasks=Count("pk", filter=Q(kind=EntryKind.ACCRUAL)),
            gross=Coalesce(Sum("amount_cents", filter=Q(kind=EntryKind.ACCRUAL)), 0),
            taken_back=Coalesce(Sum("amount_cents", filter=Q(kind=EntryKind.REVERSAL)), 0),
            net=Sum("amount_cents"),
        )
        .order_by("currency")
    )
    return [
        ReportRow(
            "TOTAL",
            "",
            "",
            r["approved_tasks"],
            r["gross"],
            -r["taken_back"],
            r["net"],
            r["currency"],
            "",
            None,
        )
        for r in rows
    ]


def report_json(period: str) -> dict[str, Any]:
    totals = []
    for total in report_totals(period):
        values = total.as_dict()
        totals.append(
            {key: values[key] for key in ("currency", "approved_tasks", "gross", "reversals", "net")}
        )
    return {"period": period, "rows": [row.as_dict() for row in report_rows(period)], "totals": totals}


def report_csv(period: str) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quoted where needed), one row at a time, totals last; no
    cell can start a spreadsheet formula (``marlin.kernel.safe_csv``)."""
    yield from csv_lines([COLUMNS])
    yield from csv_lines(row.csv_cells() for row in report_rows(period))
    yield from csv_lines(total.csv_cells() for total in report_totals(period))
