"""Reads for the finance page: a period's figures, its statements, older unpaid statements.

The money figures come from the same reads the API answers with (``payments.reports`` totals,
``payments.selectors`` statements), converted once from integer cents to ``Decimal``: the page
can never disagree with ``GET payouts/report/`` or ``GET statements/``. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OrderBy, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from marlin.kernel import clock
from marlin.kernel.money import from_cents
from payments import reports, selectors
from payments.models import ClosedPeriod, PayoutEntry, Statement
from payments.periods import period_end, period_of, period_start

STATEMENTS_PER_PAGE = 50
EARLIER_UNPAID_SHOWN = 12

# What a person may sort the statements table by: the query value -> the ordering, with the
# statement's id last so that pages never overlap. Unpaid first is said outright: PostgreSQL and
# SQLite put nulls at opposite ends by default.
STATEMENT_SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "contributor": ("contributor__name", "contributor_id", "currency", "id"),
    "-contributor": ("-contributor__name", "-contributor_id", "currency", "id"),
    "total": ("total_cents", "contributor__name", "id"),
    "-total": ("-total_cents", "contributor__name", "id"),
    "status": (F("paid_at").asc(nulls_first=True), "contributor__name", "id"),
    "-status": (F("paid_at").desc(nulls_last=True), "contributor__name", "id"),
}
DEFAULT_SORT = "contributor"
STATUSES = ("issued", "paid")  # the API's statement statuses: issued = not paid yet


@dataclass(frozen=True)
class CurrencyFigures:
    """One currency of a period: the report's total row, and its statements."""

    currency: str
    approved_tasks: int
    gross: Decimal
    reversals: Decimal  # the amount taken back, a positive figure as in the report
    net: Decimal
    contributors: int
    issued_count: int  # every statement of the period, paid or not
    issued_total: Decimal
    paid_count: int
    paid_total: Decimal
    unpaid_count: int
    unpaid_total: Decimal


@dataclass(frozen=True)
class PeriodFigures:
    period: str
    starts: datetime
    ends: datetime  # the first moment after the period (next Monday 00:00 UTC)
    is_over: bool  # only a period that is over may be closed
    closed_at: datetime | None
    currencies: tuple[CurrencyFigures, ...]

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def may_close(self) -> bool:
        return self.is_over and not self.closed


@dataclass(frozen=True)
class UnpaidPeriod:
    period: str
    currency: str
    count: int
    total: Decimal


def current_and_last_period() -> tuple[str, str]:
    """The ISO week of ``clock.now()`` (UTC) and the week before it."""
    current = period_of(clock.now())
    return current, period_of(period_start(current) - timedelta(days=7))


def period_figures(period: str) -> PeriodFigures:
    """``period`` (already parsed) as the finance page shows it: per currency the report's total
    row, the number of contributors it pays (rows of the report), and its statements."""
    database = settings.MARLIN_REPORTS_DATABASE
    contributors = dict(
        PayoutEntry.objects.using(database)
        .filter(period=period)
        .values("currency")
        .annotate(people=Count("contributor_id", distinct=True))
        .values_list("currency", "people")
    )
    statements = {row["currency"]: row for row in _statement_sums(Statement.objects.filter(period=period))}
    currencies = []
    for total in reports.report_totals(period):
        issued = statements.get(total.currency, {})
        currencies.append(
            CurrencyFigures(
                currency=total.currency,
                approved_tasks=total.approved_tasks,
                gross=from_cents(total.gross),
                reversals=from_cents(total.reversals),
                net=from_cents(total.net),
                contributors=contributors.get(total.currency, 0),
                issued_count=issued.get("issued_count", 0),
                issued_total=from_cents(issued.get("issued_cents", 0)),
                paid_count=issued.get("paid_count", 0),
                paid_total=from_cents(issued.get("paid_cents", 0)),
                unpaid_count=issued.get("unpaid_count", 0),
                unpaid_total=from_cents(issued.get("unpaid_cents", 0)),
            )
        )
    closed = ClosedPeriod.objects.filter(period=period).first()
    return PeriodFigures(
        period=period,
        starts=period_start(period),
        ends=period_end(period),
        is_over=period_end(period) <= clock.now(),
        closed_at=closed.closed_at if closed else None,
        currencies=tuple(currencies),
    )


def _statement_sums(statements: QuerySet[Statement]) -> Any:
    unpaid, paid = Q(paid_at__isnull=True), Q(paid_at__isnull=False)
    return (
        statements.values("currency")
        .annotate(
            issued_count=Count("pk"),
            issued_cents=Coalesce(Sum("total_cents"), 0),
            paid_count=Count("pk", filter=paid),
            paid_cents=Coalesce(Sum("total_cents", filter=paid), 0),
            unpaid_count=Count("pk", filter=unpaid),
            unpaid_cents=Coalesce(Sum("total_cents", filter=unpaid), 0),
        )
        .order_by("currency")
    )


def earlier_unpaid(before: str) -> list[UnpaidPeriod]:
    """The latest periods before ``before`` that still have unpaid statements, per currency, at
    most ``EARLIER_UNPAID_SHOWN`` rows (one grouped query, whatever the history's length)."""
    rows = (
        Statement.objects.filter(period__lt=before, paid_at__isnull=True)
        .values("period", "currency")
        .annotate(count=Count("pk"), cents=Sum("total_cents"))
        .order_by("-period", "currency")[:EARLIER_UNPAID_SHOWN]
    )
    return [UnpaidPeriod(r["period"], r["currency"], r["count"], from_cents(r["cents"])) for r in rows]


@dataclass(frozen=True)
class StatementRow:
    statement: Statement
    total: Decimal


def statements_page(
    user: Any, *, period: str, status: str, sort: str, page: object
) -> tuple[Page, list[StatementRow]]:
    """One page of ``period``'s statements that ``user`` may see (the API's own selector), with
    ``status`` ``issued`` (unpaid) or ``paid`` (anything else: both), sorted by ``sort`` (a key
    of ``STATEMENT_SORTS``), and its rows with their totals as ``Decimal``."""
    statements = selectors.statements_visible_to(user).filter(period=period)
    if status in STATUSES:
        statements = statements.filter(paid_at__isnull=status == "issued")
    ordered = statements.order_by(*STATEMENT_SORTS.get(sort, STATEMENT_SORTS[DEFAULT_SORT]))
    shown = Paginator(ordered, STATEMENTS_PER_PAGE).get_page(page)
    return shown, [StatementRow(s, from_cents(s.total_cents)) for s in shown]
