"""Pagination: ``{"count", "next", "previous", "results"}`` for every list."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import pagination

from marlin.kernel.errors import InvalidInput


class StrictPageSize:
    """``page_size`` is a whole number from 1 to ``max_page_size``, or a 400: DRF would quietly
    answer its default page for ``page_size=ten`` and cut ``page_size=5000`` down, so a client's
    mistake went unseen. Absent or empty: the default size."""

    page_size: int | None
    page_size_query_param: str | None
    max_page_size: int

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.get(self.page_size_query_param or "", "")
        if raw == "":
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise InvalidInput(
                fields={self.page_size_query_param: [f"a whole number from 1 to {self.max_page_size}"]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": self.max_page_size}
        return parameters


class PageNumberPagination(StrictPageSize, pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
