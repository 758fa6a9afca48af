"""Who may import whom (README "Architecture"): the kernel knows no app, apps depend one way, and
an app reads another only through its public modules. Every ``import`` in the source tree counts,
those inside functions too, and so does ``import_module("...")`` with a literal name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each package and the packages it may import. The kernel is `marlin`; `workbench` (demo data,
# simulation) and `dashboard` (pages for ops) sit above the apps and may use all of them.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "marlin": frozenset(),
    "people": frozenset({"marlin"}),
    "tasks": frozenset({"marlin", "people"}),
    "reviews": frozenset({"marlin", "people", "tasks"}),
    "payments": frozenset({"marlin", "people", "tasks"}),
    # Quality control reads the work (tasks, reviews) to measure the people who did it.
    "quality": frozenset({"marlin", "people", "tasks", "reviews"}),
    # Webhooks deliver any app's events, read from the log; no app imports them.
    "webhooks": frozenset({"marlin", "people", "tasks", "reviews", "payments"}),
    "workbench": frozenset({"marlin", "people", "tasks", "reviews", "payments", "quality"}),
    "dashboard": frozenset({"marlin", "people", "tasks", "reviews", "payments", "quality"}),
}
LAYERS_ABOVE_THE_APPS = frozenset({"workbench", "dashboard"})
# The suite and the benchmarks drive everything from outside; nothing imports them.
OUTSIDE_THE_RULES = frozenset({"tests", "bench"})

# What an app offers the apps above it: its domain (events, rules), its reads (selectors and the
# read tables they join) and the shapes other APIs reuse. Never its commands, projections,
# reactors, jobs, views or URLs.
PUBLIC_MODULES: dict[str, frozenset[str]] = {
    "people": frozenset({"domain", "selectors", "models", "pseudonyms"}),
    "tasks": frozenset({"domain", "selectors", "models", "serializers"}),
    "reviews": frozenset({"domain", "selectors", "models"}),
    "payments": frozenset({"domain", "selectors", "models"}),
    "webhooks": frozenset({"domain", "selectors", "models"}),
    "quality": frozenset({"domain", "selectors", "reports"}),
}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}: {self.rule}"


def imported_modules(source: str, *, package: str) -> list[tuple[int, str]]:
    """Every module the source imports, wherever the import stands, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from tasks import commands` imports the module tasks.commands.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def _is_import_module(func: ast.expr) -> bool:
    names = {"import_module", "__import__"}
    return (isinstance(func, ast.Name) and func.id in names) or (
        isinstance(func, ast.Attribute) and func.attr in names
    )


def violations_in(path: str, source: str) -> list[Violation]:
    """The dependency rules broken by one file of the tree (``path`` relative to the root)."""
    parts = Path(path).with_suffix("").parts
    importer = parts[0]
    if importer not in MAY_IMPORT:
        return []
    package = ".".join(parts[:-1])
    found: list[Violation] = []
    for line, module in imported_modules(source, package=package or importer):
        names = module.split(".")
        target = names[0]
        if target == importer or target not in MAY_IMPORT:
            continue
        if target not in MAY_IMPORT[importer]:
            found.append(Violation(path, line, module, f"{importer} may not import {target}"))
        elif importer not in LAYERS_ABOVE_THE_APPS and target in PUBLIC_MODULES:
            public = PUBLIC_MODULES[target]
            if len(names) > 1 and names[1] not in public:
                found.append(
                    Violation(
                        path,
                        line,
                        module,
                        f"{target}.{names[1]} is not public; use {', '.join(sorted(public))}",
                    )
                )
    return found


def source_files() -> list[Path]:
    return sorted(
        path for package in MAY_IMPORT if (ROOT / package).is_dir() for path in (ROOT / package).rglob("*.py")
    )


def test_the_kernel_imports_no_app_and_apps_depend_only_downwards() -> None:
    broken = [
        str(violation)
        for path in source_files()
        for violation in violations_in(str(path.relative_to(ROOT)), path.read_text())
    ]

    assert broken == []


def test_every_package_of_the_rules_exists_and_every_package_has_rules() -> None:
    """A new top-level package must be placed in the rules, or nothing would check it."""
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}

    assert packages - OUTSIDE_THE_RULES == set(MAY_IMPORT)


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        ("marlin/urls.py", "from reviews.views import page\n", "marlin may not import reviews"),
        (
            "marlin/jobs.py",
            "def job():\n    from tasks import selectors\n",
            "marlin may not import tasks",
        ),
        ("tasks/selectors.py", "import reviews.selectors\n", "tasks may not import reviews"),
        ("payments/reports.py", "from reviews.models import X\n", "payments may not import reviews"),
        ("reviews/commands.py", "from tasks.commands import load_task\n", "tasks.commands is not public"),
        ("reviews/commands.py", "from tasks import commands\n", "tasks.commands is not public"),
        (
            "people/api.py",
            "from django.utils.module_loading import import_module\nimport_module('tasks')\n",
            "people may not import tasks",
        ),
        (
            "marlin/checks.py",
            "def f():\n    return __import__('payments.selectors')\n",
            "marlin may not import",
        ),
    ],
)
def test_a_broken_rule_is_caught_wherever_the_import_stands(path: str, source: str, rule: str) -> None:
    assert any(rule in str(violation) for violation in violations_in(path, source))


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("reviews/commands.py", "from tasks.selectors import load_task\n"),
        ("reviews/domain.py", "from tasks.domain.review_round import Decision\n"),
        ("workbench/demo.py", "from tasks.commands import task_claim\n"),
        ("dashboard/views.py", "from reviews.queues import queue_overview\n"),
        ("tasks/api.py", "from . import commands\n"),
    ],
)
def test_allowed_imports_pass(path: str, source: str) -> None:
    assert violations_in(path, source) == []
