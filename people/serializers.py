from __future__ import annotations

from rest_framework import serializers

from marlin.api.serializers import StrictInput
from marlin.kernel.roles import ALL_ROLES
from people.models import User

USERNAME = r"^[\w.@+-]+\Z"


class PersonCreateInput(StrictInput):
    username = serializers.RegexField(USERNAME, max_length=150)
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    roles = serializers.ListField(child=serializers.CharField(max_length=20), max_length=len(ALL_ROLES) * 2)
    reviewer_level = serializers.IntegerField(default=1)
    skills = serializers.ListField(child=serializers.CharField(max_length=60), max_length=100, default=list)
    capacity = serializers.IntegerField(default=5)
    active = serializers.BooleanField(default=True)


class PersonUpdateInput(StrictInput):
    email = serializers.EmailField(max_length=254, required=False)
    name = serializers.CharField(max_length=200, required=False)
    password = serializers.CharField(max_length=128, write_only=True, required=False, trim_whitespace=False)
    roles = serializers.ListField(child=serializers.CharField(max_length=20), max_length=8, required=False)
    reviewer_level = serializers.IntegerField(required=False)
    skills = serializers.ListField(child=serializers.CharField(max_length=60), max_length=100, required=False)
    capacity = serializers.IntegerField(required=False)
    active = serializers.BooleanField(required=False)


class PersonOutput(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "name",
            "roles",
            "reviewer_level",
            "skills",
            "capacity",
            "active",
            "date_joined",
        ]


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.CharField())
    reviewer_level = serializers.IntegerField()
    skills = serializers.ListField(child=serializers.CharField())
    capacity = serializers.IntegerField()
    active = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
