"""How the terminal client shows things: answers side by side, judgments, rounds, errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pygments.lexers import get_lexer_by_name, guess_lexer
from pygments.util import ClassNotFound
from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from marlin_client.errors import ApiError, ConnectionFailed, MarlinError, flatten_messages
from marlin_client.judgment import JudgmentInvalid

CODE_THEME = "monokai"
FENCE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n(?P<code>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)
STRENGTHS = {1: "slight", 2: "clear", 3: "strong"}


@dataclass(frozen=True)
class Segment:
    """A run of an answer: prose (``language`` None) or a fenced block of code."""

    text: str
    language: str | None = None


def answer_segments(answer: str, *, language: str | None) -> list[Segment]:
    """Split an answer into prose and code. Fenced blocks keep their own language (else
    ``language``); an answer with no fence at all is taken to be code in ``language``."""
    if not FENCE.search(answer):
        return [Segment(answer, language or _guessed_language(answer))]
    segments, position = [], 0
    for match in FENCE.finditer(answer):
        prose = answer[position : match.start()].strip()
        if prose:
            segments.append(Segment(prose))
        info = match.group("info").strip().split(" ")[0]
        segments.append(Segment(match.group("code").rstrip("\n"), info or language or "text"))
        position = match.end()
    rest = answer[position:].strip()
    if rest:
        segments.append(Segment(rest))
    return segments


def language_of(tags: Iterable[str]) -> str | None:
    """The first of a task's tags that names a language Pygments knows (``rust``, ``sql``...)."""
    for tag in tags:
        try:
            get_lexer_by_name(tag)
        except ClassNotFound:
            continue
        return tag
    return None


def _guessed_language(code: str) -> str:
    try:
        return guess_lexer(code).aliases[0]
    except (ClassNotFound, IndexError):
        return "text"


def answer(text: str, *, language: str | None) -> RenderableType:
    parts: list[RenderableType] = []
    for segment in answer_segments(text, language=language):
        if segment.language is None:
            parts.append(Markdown(segment.text, code_theme=CODE_THEME))
        else:
            parts.append(Syntax(segment.text, segment.language, theme=CODE_THEME, word_wrap=True))
    return Group(*parts)


def answers_side_by_side(task: dict[str, Any]) -> Table:
    language = language_of(task.get("tags") or [])
    table = Table(expand=True, show_lines=True, title="Answers")
    table.add_column("A", ratio=1, overflow="fold")
    table.add_column("B", ratio=1, overflow="fold")
    table.add_row(
        answer(task.get("response_a") or "", language=language),
        answer(task.get("response_b") or "", language=language),
    )
    return table


def task_header(task: dict[str, Any], project: dict[str, Any] | None = None) -> RenderableType:
    facts = [f"[bold]Task[/] {task['id']}", f"status [bold]{task.get('status')}[/]"]
    if task.get("layer"):
        facts.append(f"layer {task['layer']}")
    if project:
        facts.append(f"project {project.get('name')}")
    if task.get("rate"):
        facts.append(f"{task['rate']} {task.get('currency', '')}".strip())
    if task.get("tags"):
        facts.append("tags " + ", ".join(task["tags"]))
    if task.get("claim_expires_at"):
        facts.append(f"claim expires {task['claim_expires_at']}")
    return Text.from_markup(" · ".join(facts))


def prompt_and_context(task: dict[str, Any]) -> list[RenderableType]:
    parts: list[RenderableType] = [
        Panel(Markdown(task.get("prompt") or ""), title="Prompt", title_align="left")
    ]
    if task.get("context"):
        parts.append(Panel(Markdown(task["context"]), title="Context", title_align="left"))
    return parts


def submission(sub: dict[str, Any], *, title: str | None = None) -> RenderableType:
    preference = sub.get("preference")
    strength = STRENGTHS.get(sub.get("strength") or 0)
    verdict = f"prefers [bold]{preference}[/]" + (
        f" ({strength})" if strength and preference != "tie" else ""
    )
    scores = Table(title="Scores", show_edge=False)
    scores.add_column("criterion")
    scores.add_column("A", justify="right")
    scores.add_column("B", justify="right")
    for name, pair in (sub.get("scores") or {}).items():
        scores.add_row(name, str(pair.get("a")), str(pair.get("b")))
    body = Group(
        Text.from_markup(
            f"{verdict} · {sub.get('time_spent_minutes')} min · submitted {when(sub.get('submitted_at'))}"
        ),
        scores,
        Text("Rationale", style="bold"),
        Text(sub.get("rationale") or ""),
    )
    return Panel(body, title=title or f"Submission v{sub.get('version')}", title_align="left")


def rounds(items: Sequence[dict[str, Any]], *, title: str = "Review rounds") -> Table:
    table = Table(title=title, expand=True)
    table.add_column("layer", justify="right")
    if any(item.get("kind") == "appeal" for item in items):
        table.add_column("kind")
    if any("submission_version" in item for item in items):
        table.add_column("version", justify="right")
    table.add_column("decision")
    table.add_column("reasons")
    table.add_column("feedback", ratio=1, overflow="fold")
    table.add_column("decided at")
    for item in items:
        cells = [str(item.get("layer"))]
        if any(other.get("kind") == "appeal" for other in items):
            cells.append(str(item.get("kind") or "review"))
        if "submission_version" in item:
            cells.append(str(item.get("submission_version")))
        cells += [
            _decision(item.get("decision")),
            ", ".join(item.get("reasons") or []),
            item.get("feedback") or "",
            when(item.get("decided_at")),
        ]
        table.add_row(*cells)
    return table


def when(timestamp: str | None) -> str:
    """An API timestamp to the minute, as a table cell: ``2026-11-26 06:01Z``."""
    if not timestamp:
        return ""
    return timestamp[:16].replace("T", " ") + ("Z" if timestamp.endswith("Z") else "")


def _decision(decision: str | None) -> str:
    colour = {"approve": "green", "request_changes": "yellow", "reject": "red"}.get(decision or "", "white")
    return f"[{colour}]{decision}[/]"


def error(console: Console, failure: MarlinError) -> None:
    """A failure as a person reads it: what was refused, why, each field, and the request id."""
    if isinstance(failure, JudgmentInvalid):
        console.print(f"[bold red]{failure.source} cannot be submitted:[/]")
        for problem in failure.problems:
            console.print(f"  [red]✗[/] [bold]{problem.field}[/]: {problem.message}", highlight=False)
        return
    if isinstance(failure, ApiError):
        console.print(
            f"[bold red]Error {failure.status} {failure.code}:[/] {failure.message}", highlight=False
        )
        for field, message in flatten_messages(failure.fields):
            console.print(f"  [red]✗[/] [bold]{field or 'request'}[/]: {message}", highlight=False)
        for key, value in failure.details.items():
            console.print(f"  {key}: {value}", highlight=False)
        if failure.retry_after is not None:
            console.print(f"  retry after: {failure.retry_after:.0f} s", highlight=False)
        if failure.request_id:
            console.print(f"  [dim]request id: {failure.request_id}[/]", highlight=False)
        return
    if isinstance(failure, ConnectionFailed):
        console.print(f"[bold red]Cannot reach the server:[/] {failure}", highlight=False)
        return
    console.print(f"[bold red]Error:[/] {failure}", highlight=False)
