"""Money: ``Decimal`` amounts in a named currency, never floats.

Marlin pays in currencies with cents (two minor units), which covers its payees; an amount must
be exact to the cent. Amounts travel as decimal strings (``"280.00"``) and are stored as integer
cents.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_RATE = Decimal("100000.00")
CURRENCIES = frozenset(
    {
        "USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
        "HUF", "RON", "INR", "SGD", "HKD", "CNY", "BRL", "MXN", "ZAR", "ILS", "AED", "PHP",
        "TRY", "UAH", "ARS", "COP", "EGP", "NGN", "KES", "PKR", "BDT", "VND", "THB", "MYR",
    }
)  # fmt: skip


def parse_amount(value: object) -> Decimal:
    """An exact amount in cents from a string, int or Decimal; floats are refused."""
    if isinstance(value, float | bool):
        raise ValueError("amounts must be decimal strings such as '280.00', not floats")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise ValueError("amounts must be finite")
    if abs(amount) >= Decimal("1e15"):
        raise ValueError("amount is too large")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValueError("amounts have at most two decimal places (cents)")
    return cents


def check_currency(code: object) -> str:
    if not isinstance(code, str) or code.upper() not in CURRENCIES:
        raise ValueError(f"{code!r} is not a supported currency ({', '.join(sorted(CURRENCIES))})")
    return code.upper()


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)
