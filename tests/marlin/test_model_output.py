"""Output serializers work their fields out from the model once per class, and answer as DRF's."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from marlin.api.serializers import ModelOutput
from people.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_fields_are_built_once_per_class_and_copied_fresh_for_each_instance(monkeypatch) -> None:
    class PersonOut(ModelOutput):
        class Meta:
            model = User
            fields = ["id", "username", "reviewer_level", "skills", "date_joined"]

    class PlainPersonOut(serializers.ModelSerializer):
        class Meta(PersonOut.Meta):
            pass

    builds = []
    original = serializers.ModelSerializer.get_fields
    monkeypatch.setattr(
        serializers.ModelSerializer, "get_fields", lambda self: builds.append(type(self)) or original(self)
    )
    people = [make_user("reviewer", skills=["rust"]), make_user("contributor")]

    first, second = PersonOut(people[0]), PersonOut(people[1])
    answers = [first.data, second.data]

    assert builds.count(PersonOut) == 1
    assert first.fields["username"] is not second.fields["username"]
    assert first.fields["username"].parent is first
    assert answers == [PlainPersonOut(person).data for person in people]
