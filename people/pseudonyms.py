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
    return _pseudonym(f"contributor:{user_id}")


def author_pseudonym(contributor_id: int | None, *, plant_id: object | None = None) -> str | None:
    """Who wrote a submission, as its reviewers read it. A calibration plant has no contributor:
    its reviewers read a pseudonym of the same form, made from the plant (so nothing in it tells
    a plant from any other review)."""
    if contributor_id is None and plant_id is not None:
        return _pseudonym(f"plant:{plant_id}")
    return contributor_pseudonym(contributor_id)


def _pseudonym(subject: str) -> str:
    key = (settings.MARLIN_PSEUDONYM_KEY or settings.SECRET_KEY).encode()
    digest = hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()
    return f"contributor-{digest[:10]}"
