"""Stable pseudonyms: reviewers see who wrote a submission as ``contributor-3f9a1c0b2e``, never a
name. The same contributor always gets the same pseudonym; nobody can turn it back into an id
without the key (``MARLIN_PSEUDONYM_KEY``, by default derived from ``SECRET_KEY``)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def contributor_pseudonym(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    key = (settings.MARLIN_PSEUDONYM_KEY or settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"contributor:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"contributor-{digest[:10]}"
