from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marlin.api.serializers import ModelOutput, StrictInput
from marlin.kernel.roles import ALL_ROLES
from people.models import User

USERNAME = r"^[\w.@+-]+\Z"


class PersonCreateInput(StrictInput):
    username = serializers.RegexField(USERNAME, max_length=150)
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    roles = serializers.ListField(child=serializers.CharField(max_length=20), max_length=len(ALL_ROLES) * 2)
    reviewer_level = serializers.IntegerField(default=1)
    skills = serializers.ListField(child=serializers.CharField(max_length=60), max_length=100, default=list)
    capacity = serializers.IntegerField(default=5)
    active = serializers.BooleanField(default=True)


class PersonUpdateInput(StrictInput):
    email = serializers.EmailField(max_length=254, required=False)
    name = serializers.CharField(max_length=200, required=False)
    roles = serializers.ListField(child=serializers.CharField(max_length=20), max_length=8, required=False)
    reviewer_level = serializers.IntegerField(required=False)
    skills = serializers.ListField(child=serializers.CharField(max_length=60), max_length=100, required=False)
    capacity = serializers.IntegerField(required=False)
    active = serializers.BooleanField(required=False)


class PersonOutput(ModelOutput):
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


class InvitationOutput(serializers.Serializer):
    """Shown once, to whoever invited: only a digest of the token is kept."""

    token = serializers.CharField()
    url = serializers.CharField(help_text="Where the person redeems it: POST {token, password} there.")
    expires_at = serializers.DateTimeField()


class PersonInvitedOutput(PersonOutput):
    invitation = serializers.SerializerMethodField()

    class Meta(PersonOutput.Meta):
        fields = [*PersonOutput.Meta.fields, "invitation"]

    @extend_schema_field(InvitationOutput)
    def get_invitation(self, person: User) -> dict[str, object]:
        return dict(self.context["invitation"])


class InvitationAcceptInput(StrictInput):
    token = serializers.CharField(max_length=200)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class InvitationAcceptedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
