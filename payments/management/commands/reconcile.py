"""Reconcile payouts with approvals, statements with their lines, reports with entries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments import reconciliation


class Command(BaseCommand):
    help = (
        "Check that every approved task has exactly one accrual at its rate, no accrual lacks an "
        "approval, every reversal undoes an accrual of a reversed approval, statement totals equal "
        "their lines and report totals equal the entries. Exits non-zero on any break."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        lines, failures = reconciliation.run()
        for line in lines:
            self.stdout.write(line)
        for failure in failures:
            self.stdout.write(self.style.ERROR(f"BREAK: {failure}"))
        if failures:
            raise CommandError(f"{len(failures)} reconciliation break(s)")
        self.stdout.write(self.style.SUCCESS("Reconciled: every check passed."))
