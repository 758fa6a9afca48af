"""Reads of payouts and statements. Finance sees every entry; a contributor only their own."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet, Sum

from marlin.kernel.money import from_cents
from marlin.kernel.roles import Role, has_role
from payments.models import PayoutEntry, Statement


def payouts_visible_to(user: Any) -> QuerySet[PayoutEntry]:
    query = PayoutEntry.objects.order_by("created_at", "id")
    if has_role(user, Role.FINANCE):
        return query
    return query.filter(contributor_id=user.pk)


def statements_visible_to(user: Any) -> QuerySet[Statement]:
    query = Statement.objects.select_related("contributor").order_by("period", "contributor_id", "currency")
    if has_role(user, Role.FINANCE):
        return query
    return query.filter(contributor_id=user.pk)


def earnings_of(user_id: int) -> list[dict[str, Any]]:
    """Per currency: everything accrued (net of reversals), what waits for a statement, what is
    on statements not yet paid, and what was paid."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"net": 0, "pending": 0, "issued": 0, "paid": 0})
    entries = PayoutEntry.objects.filter(contributor_id=user_id)
    for row in entries.values("currency").annotate(total=Sum("amount_cents")):
        totals[row["currency"]]["net"] = row["total"]
    for row in entries.filter(statement__isnull=True).values("currency").annotate(total=Sum("amount_cents")):
        totals[row["currency"]]["pending"] = row["total"]
    statements = Statement.objects.filter(contributor_id=user_id)
    for paid, key in ((False, "issued"), (True, "paid")):
        rows = (
            statements.filter(paid_at__isnull=not paid).values("currency").annotate(total=Sum("total_cents"))
        )
        for row in rows:
            totals[row["currency"]][key] = row["total"]
    return [
        {
            "currency": currency,
            "accrued_net": _money(values["net"]),
            "pending": _money(values["pending"]),
            "issued_unpaid": _money(values["issued"]),
            "paid": _money(values["paid"]),
        }
        for currency, values in sorted(totals.items())
    ]


def _money(cents: int | None) -> str:
    return str(from_cents(cents or 0))
