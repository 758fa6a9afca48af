"""Seed demo data: people for every role with known passwords, a project and tasks.

Safe to run again: what exists is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from workbench import demo


class Command(BaseCommand):
    help = "Create demo people (password: see README), a project and tasks. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        for line in demo.seed():
            self.stdout.write(line)
