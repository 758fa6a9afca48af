"""``/ops/reviewers/`` and ``/ops/contributors/``: the people tables for ops, sorted, filtered and
paged in the database (``dashboard.people_tables``).

The filter form reads the query string; a value it cannot read (``level=abc``) is shown as an error
beside its field and left out, the other filters still apply. Sort and filters stay in every
header and pager link.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.actions import page_for
from dashboard.people_tables import (
    Activity,
    ContributorFilter,
    ReviewerFilter,
    contributor_rows,
    contributor_sorting,
    reviewer_rows,
    reviewer_sorting,
    skills_of,
)
from dashboard.sorting import Sorting
from marlin.api.permissions import IsOps
from marlin.kernel import clock

PAGE_SIZE = 50
LEVELS = [("", "any")] + [(str(level), str(level)) for level in range(1, 6)]
ACTIVITIES = [(a.value, a.value) for a in Activity]


class _PeopleFilterForm(forms.Form):
    search = forms.CharField(required=False, label="username or name", max_length=100)
    skill = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=ACTIVITIES)

    def __init__(self, data: Any, *, skills: list[str]) -> None:
        super().__init__(data or None)
        self.fields["skill"].choices = [("", "any"), *((s, s) for s in skills)]

    def value(self, name: str, default: Any) -> Any:
        """The field's cleaned value; ``default`` when absent, empty or unreadable."""
        if not self.is_bound:
            return default
        self.is_valid()  # cleans once; a field that fails is in errors, not in cleaned_data
        return self.cleaned_data.get(name) or default

    def activity(self) -> Activity:
        return Activity(self.value("status", Activity.ACTIVE))


class ReviewerFilterForm(_PeopleFilterForm):
    field_order = ["search", "level", "skill", "status", "overdue", "full"]
    level = forms.TypedChoiceField(required=False, choices=LEVELS, coerce=int, empty_value=None)
    overdue = forms.BooleanField(required=False, label="overdue only")
    full = forms.BooleanField(required=False, label="full (at capacity)")

    def filters(self) -> ReviewerFilter:
        return ReviewerFilter(
            search=self.value("search", "").strip(),
            level=self.value("level", None),
            skill=self.value("skill", ""),
            activity=self.activity(),
            overdue_only=self.value("overdue", False),
            full_only=self.value("full", False),
        )


class ContributorFilterForm(_PeopleFilterForm):
    holding = forms.BooleanField(required=False, label="holding a task")
    overdue = forms.BooleanField(required=False, label="overdue claim")

    def filters(self) -> ContributorFilter:
        return ContributorFilter(
            search=self.value("search", "").strip(),
            skill=self.value("skill", ""),
            activity=self.activity(),
            holding_only=self.value("holding", False),
            overdue_claim_only=self.value("overdue", False),
        )


@page_for(IsOps)
def reviewers_page(request: HttpRequest) -> HttpResponse:
    form = ReviewerFilterForm(request.GET, skills=skills_of("is_reviewer"))
    sorting = reviewer_sorting(request.GET.get("sort"))
    people = reviewer_rows(filters=form.filters(), sorting=sorting)
    return _table_page(request, "dashboard/reviewers.html", form, sorting, people)


@page_for(IsOps)
def contributors_page(request: HttpRequest) -> HttpResponse:
    form = ContributorFilterForm(request.GET, skills=skills_of("is_contributor"))
    sorting = contributor_sorting(request.GET.get("sort"))
    people = contributor_rows(filters=form.filters(), sorting=sorting)
    return _table_page(request, "dashboard/contributors.html", form, sorting, people)


def _table_page(
    request: HttpRequest, template: str, form: forms.Form, sorting: Sorting, people: QuerySet[Any]
) -> HttpResponse:
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "headers": sorting.headers(),
        "sort": sorting.param,
        "now": clock.now(),
    }
    return render(request, template, context)
