from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marlin.api.serializers import ModelOutput, StrictInput
from marlin.kernel.money import from_cents
from payments.controls import Did, Flag
from payments.models import PayoutEntry, Statement


@extend_schema_field({"type": "string", "format": "decimal", "example": "280.00"})
class CentsAsAmount(serializers.Field):
    """Integer cents out as a decimal string: 28000 -> "280.00". Amounts are never written
    through the API, so the field is read-only."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: int) -> str:
        return str(from_cents(value))


class PayoutOutput(ModelOutput):
    amount = CentsAsAmount(source="amount_cents")

    class Meta:
        model = PayoutEntry
        fields = [
            "id",
            "task",
            "contributor",
            "amount",
            "currency",
            "period",
            "kind",
            "created_at",
            "statement",
            "accrual",
            "reason",
        ]


class StatementOutput(ModelOutput):
    total = CentsAsAmount(source="total_cents")
    status = serializers.CharField()
    contributor_name = serializers.CharField(source="contributor.name")

    class Meta:
        model = Statement
        fields = [
            "id",
            "period",
            "contributor",
            "contributor_name",
            "currency",
            "total",
            "lines",
            "status",
            "issued_at",
            "paid_at",
            "reference",
        ]


class PeriodCloseOutput(serializers.Serializer):
    """A closed period; ``already_closed`` when it was closed before (and nothing was added)."""

    period = serializers.CharField(source="closed.period")
    closed_at = serializers.DateTimeField(source="closed.closed_at")
    statements = serializers.IntegerField(source="closed.statements")
    already_closed = serializers.BooleanField()


class CloseInput(StrictInput):
    # Not trimmed: the period is checked whole, as in a query string ("2026-W48\n" is refused).
    period = serializers.CharField(max_length=8, trim_whitespace=False, help_text="ISO week, e.g. 2026-W48")


class PaidInput(StrictInput):
    reference = serializers.CharField(max_length=200, help_text="The payment's external reference.")


class EarningsOutput(serializers.Serializer):
    currency = serializers.CharField()
    accrued_net = serializers.CharField()
    pending = serializers.CharField()
    issued_unpaid = serializers.CharField()
    paid = serializers.CharField()


class _ReportRow(serializers.Serializer):
    contributor = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    approved_tasks = serializers.IntegerField()
    gross = serializers.CharField(help_text='decimal string, e.g. "280.00"')
    reversals = serializers.CharField(help_text="the amount taken back (positive)")
    net = serializers.CharField(help_text="gross - reversals = the sum of the period's entries")
    currency = serializers.CharField()
    statement_status = serializers.ChoiceField(choices=["open", "issued", "paid", "none"])
    ytd_net = serializers.CharField()


class _ReportTotal(serializers.Serializer):
    currency = serializers.CharField()
    approved_tasks = serializers.IntegerField()
    gross = serializers.CharField()
    reversals = serializers.CharField()
    net = serializers.CharField()


class ReportOutput(serializers.Serializer):
    period = serializers.CharField()
    rows = _ReportRow(many=True)
    totals = _ReportTotal(many=True)


class _ControlActor(serializers.Serializer):
    person = serializers.IntegerField(allow_null=True, help_text="user id; null for the system")
    did = serializers.ChoiceField(
        choices=[did.value for did in Did],
        help_text=(
            "registered (a person whose registration raised new_account), submitted (the "
            "contributor submitted or revised), assigned_reviewer_by_hand (the ops person who "
            "named the next reviewer), approved or requested_changes (a reviewer's decision)"
        ),
    )
    at = serializers.DateTimeField()


class _ControlRow(serializers.Serializer):
    task = serializers.UUIDField()
    contributor = serializers.IntegerField()
    amount = serializers.CharField(help_text='the accrual, a decimal string, e.g. "280.00"')
    currency = serializers.CharField()
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=[flag.value for flag in Flag]),
        help_text=(
            "hand_assigned_reviewer: ops named a reviewer in the approval chain; new_account: the "
            "contributor or a deciding reviewer registered less than 7 days before the approval"
        ),
    )
    actors = _ControlActor(many=True, help_text="who did what and when in the chain, oldest first")


class ControlsOutput(serializers.Serializer):
    period = serializers.CharField()
    rows = _ControlRow(many=True)
