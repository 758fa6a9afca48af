"""Money in the kernel: amounts are ``Decimal`` in events and integer cents in storage."""

from __future__ import annotations

from decimal import Decimal

from marlin.kernel.money import from_cents, to_cents


def test_cents_round_trip_exactly() -> None:
    for text in ("0.01", "280.00", "-280.00", "99999999.99"):
        assert from_cents(to_cents(Decimal(text))) == Decimal(text)
