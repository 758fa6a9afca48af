"""Query filters shared by the API's lists."""

from __future__ import annotations

import django_filters
from django import forms


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: ``?after=0.5`` is a 400, not quietly a decimal comparison."""

    field_class = forms.IntegerField
