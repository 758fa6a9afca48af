"""``POST auth/token/`` and ``GET me/``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from people.roles import effective_roles


class TokenApi(APIView):
    """Exchange a username and password for an API token (the same token on every call)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField()}),
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


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


class MeApi(APIView):
    """Who am I: id, username, roles, reviewer level, skills, capacity."""

    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.id,
            "username": user.username,
            "name": user.name,
            "email": user.email,
            "roles": effective_roles(user),
            "reviewer_level": user.reviewer_level,
            "skills": list(user.skills or []),
            "capacity": user.capacity,
            "active": user.active,
            "is_superuser": user.is_superuser,
        }
        return Response(MeOutput(data).data)
