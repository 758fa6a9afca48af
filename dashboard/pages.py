"""The pages every signed-in person starts from: the home page, and their API tokens.

The home page says who is signed in and links to what their roles may use; the tokens page
creates a token (shown once: only its digest is kept) and revokes tokens, the same knox tokens
``POST auth/token/`` gives.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from knox.models import AuthToken

from marlin.kernel.roles import Role, effective_roles, has_role


class HomePage(View):
    """``/``: who you are and where to go; for strangers, the way in."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        return render(
            request,
            "dashboard/home.html",
            {
                "roles": effective_roles(user) if user.is_authenticated else [],
                "is_ops": has_role(user, Role.OPS),
                "is_finance": has_role(user, Role.FINANCE),
            },
        )


class TokensPage(LoginRequiredMixin, View):
    """``/tokens/``: your API tokens; create one (shown once) or revoke them."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        instance, token = AuthToken.objects.create(request.user)
        return self._page(request, new_token=token, new_expiry=instance.expiry, status=201)

    def _page(self, request: HttpRequest, status: int = 200, **shown: Any) -> HttpResponse:
        tokens = AuthToken.objects.filter(user=request.user).order_by("-created")
        return render(request, "dashboard/tokens.html", {"tokens": tokens, **shown}, status=status)


class TokenRevokePage(LoginRequiredMixin, View):
    """``/tokens/<key>/revoke/``: revoke one of your tokens (by the prefix the page shows)."""

    def post(self, request: HttpRequest, token_key: str) -> HttpResponse:
        deleted, _ = AuthToken.objects.filter(user=request.user, token_key=token_key).delete()
        if not deleted:
            raise Http404("no such token of yours")
        return redirect("tokens")
