"""Renaming a model keeps its admin permissions: the grants follow the new name.

Django renames a renamed model's content type by itself, but not its default permissions
(``view_taskview`` stays, and ``view_task`` is created beside it after the migration), so a
staff member granted the old one would lose the admin page. Migrations that rename a model add
``rename_permissions(...)`` after their ``RenameModel``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

DEFAULT_ACTIONS = ("add", "change", "delete", "view")


def rename_permissions(app_label: str, old: str, new: str, verbose_name: str) -> migrations.RunPython:
    """An operation renaming the default permissions of ``app_label.old`` to those of ``new``."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        _rename(apps, app_label, old.lower(), new.lower(), verbose_name)

    def backwards(apps: Any, schema_editor: Any) -> None:
        _rename(apps, app_label, new.lower(), old.lower(), _verbose(old))

    return migrations.RunPython(forwards, backwards)


def _rename(apps: Any, app_label: str, old: str, new: str, verbose_name: str) -> None:
    permission = apps.get_model("auth", "Permission")
    for action in DEFAULT_ACTIONS:
        permission.objects.filter(content_type__app_label=app_label, codename=f"{action}_{old}").update(
            codename=f"{action}_{new}", name=f"Can {action} {verbose_name}"
        )


def _verbose(class_name: str) -> str:
    """Django's default verbose name of a model class: ``TaskView`` -> ``task view``."""
    words: list[str] = []
    for char in class_name:
        if char.isupper() and words:
            words.append(" ")
        words.append(char.lower())
    return "".join(words)
