"""What every page that changes something shares with the API it stands beside.

A page refuses whom the API would refuse, with the very permission class the API view uses, and
changes things only through the same commands. A refused command is no error on a page: it comes
back to the person as a message carrying the API's code and text, and nothing was written
(commands are all-or-nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.views import View
from rest_framework.permissions import BasePermission

from marlin.api.errors import permission_denied
from marlin.kernel.errors import DomainError, InvalidInput

ViewFunction = TypeVar("ViewFunction", bound=Callable[..., HttpResponse])


def allowed(request: HttpRequest, permission: type[BasePermission]) -> bool:
    """Whether the API's ``permission`` class lets this request's user in."""
    return bool(permission().has_permission(request, None))


def page_for(permission: type[BasePermission]) -> Callable[[ViewFunction], ViewFunction]:
    """Decorate a page view: strangers go to sign in; the signed-in without ``permission`` get the
    site's 403, answered rather than raised (a refusal is not an error worth a traceback)."""

    def decorator(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request, permission):
                return permission_denied(request)
            return view(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorator


class GuardedPage(View):
    """A page (class-based, so its methods are declared: a GET is not a POST) behind the API's
    ``permission_class``, with ``page_for``'s answers to strangers and to the refused."""

    permission_class: type[BasePermission]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        guarded = page_for(self.permission_class)(super().dispatch)
        return guarded(request, *args, **kwargs)


def refusal_text(refusal: DomainError) -> str:
    """The API's code and message; for a bare "invalid", the fields' messages too."""
    text = f"Refused ({refusal.code}): {refusal.message}"
    fields = getattr(refusal, "fields", None)
    if fields and refusal.message == InvalidInput().message:
        text += " " + "; ".join(
            f"{name}: {' '.join(map(str, problems))}" for name, problems in fields.items()
        )
    return text


def run_command(
    request: HttpRequest, command: Callable[[], Any], *, done: str | Callable[[Any], str]
) -> bool:
    """Run ``command`` and tell the person what happened (``done`` may word it from the result).
    Returns whether it was carried out."""
    try:
        result = command()
    except DomainError as refusal:
        messages.error(request, refusal_text(refusal))
        return False
    messages.success(request, done(result) if callable(done) else done)
    return True
