"""The README's shell examples can be pasted as they are: no ``<id>`` placeholders, every
variable set before it is used, and no ``Idempotency-Key`` used twice (a copied key replays the
first answer instead of doing the second thing). Running them against a live server is a manual
step: see the README's guides."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", README, re.S)
GUIDES = re.findall(
    r"```sh\n(.*?)```", README[README.index("## Using the API") : README.index("### Errors")], re.S
)
PLACEHOLDER = re.compile(r"<[a-z][a-z _-]*>")  # <id>, <the id from the answer>; not Vec<i64>


def commands(block: str) -> list[str]:
    """The block's lines without comments (a comment may describe a format such as "<person>")."""
    lines = []
    for line in block.splitlines():
        code = line.split("  # ", 1)[0].rstrip()
        if code.strip() and not code.lstrip().startswith("#"):
            lines.append(code)
    return lines


def test_the_shell_examples_hold_no_placeholders() -> None:
    found = [line for block in SHELL_BLOCKS for line in commands(block) if PLACEHOLDER.search(line)]

    assert found == []


def test_no_idempotency_key_is_used_twice() -> None:
    keys = re.findall(r"Idempotency-Key: ([^\"']+)", "\n".join(SHELL_BLOCKS))

    assert keys
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_the_guides_set_every_variable_before_using_it() -> None:
    assigned: set[str] = set()
    used_before_set = []
    for line in (line for block in GUIDES for line in commands(block)):
        for name in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", line):
            if name not in assigned:
                used_before_set.append((name, line))
        assigned.update(re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", line))

    assert used_before_set == []
