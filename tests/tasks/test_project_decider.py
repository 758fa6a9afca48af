"""The project decider: defaults, validation, changes and status, given / when / then."""

from __future__ import annotations

import uuid
from decimal import Decimal
from functools import reduce

import pytest

from marlin.kernel.errors import Conflict, InvalidInput
from tasks.domain.project import (
    DEFAULT_CRITERIA,
    DEFAULT_REASON_CODES,
    ProjectArchived,
    ProjectCreated,
    ProjectPaused,
    ProjectResumed,
    ProjectState,
    ProjectStatus,
    ProjectUpdated,
    clean_settings,
    decide_archive,
    decide_create,
    decide_pause,
    decide_resume,
    decide_update,
    evolve,
    new_settings,
)

PID = uuid.UUID(int=5)


def given(*events: object) -> ProjectState:
    return reduce(evolve, events, ProjectState())


def created(**raw: object) -> ProjectCreated:
    [event] = decide_create(given(), project_id=PID, settings=new_settings({"name": "P", **raw}))
    return event


def test_a_new_project_gets_every_default_of_spec() -> None:
    settings = created().settings

    assert settings.rate == Decimal("280.00")
    assert (settings.currency, settings.review_layers, settings.max_revisions) == ("USD", 2, 2)
    assert (settings.claim_timeout_minutes, settings.review_timeout_minutes) == (120, 1440)
    assert settings.criteria == DEFAULT_CRITERIA
    assert settings.reason_codes == DEFAULT_REASON_CODES
    assert given(created()).status == ProjectStatus.ACTIVE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rate", "0"),
        ("rate", "10.005"),
        ("rate", 12.5),
        ("currency", "XYZ"),
        ("review_layers", 6),
        ("review_layers", 0),
        ("criteria", []),
        ("criteria", ["Correctness"]),
        ("criteria", ["a", "a"]),
        ("required_skills", ["has space"]),
        ("claim_timeout_minutes", 0),
        ("name", "  "),
    ],
)
def test_settings_outside_the_rules_are_refused_by_field(field: str, value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        new_settings({"name": "P", field: value})

    assert field in refused.value.fields


def test_an_update_records_only_what_changes() -> None:
    changes = clean_settings({"rate": "300.00", "name": "P", "review_layers": 2})

    events = decide_update(given(created()), changes=changes)

    assert events == [ProjectUpdated(PID, {"rate": Decimal("300.00")})]
    assert given(created(), *events).settings.rate == Decimal("300.00")


def test_an_update_that_changes_nothing_records_nothing() -> None:
    assert decide_update(given(created()), changes=clean_settings({"name": "P"})) == []


def test_pause_resume_and_archive_follow_the_status() -> None:
    assert decide_pause(given(created())) == [ProjectPaused(PID)]
    assert decide_resume(given(created(), ProjectPaused(PID))) == [ProjectResumed(PID)]
    assert decide_archive(given(created(), ProjectPaused(PID))) == [ProjectArchived(PID)]
    with pytest.raises(Conflict):
        decide_pause(given(created(), ProjectPaused(PID)))
    with pytest.raises(Conflict):
        decide_resume(given(created()))
    with pytest.raises(Conflict):
        decide_update(given(created(), ProjectArchived(PID)), changes={"name": "Q"})
