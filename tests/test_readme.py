"""The README's console examples are real: each offline command prints what the README shows.

A block's lines after ``$ pull-planner ...`` are its expected output. Where the
README cuts output short with a ``...`` line, the lines shown must appear in
that order (a line ending in ``...`` matches as a prefix); otherwise the output
must be identical. Commands against a registry
(``localhost:5000``) are run by the registry tests instead.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _examples() -> list[tuple[str, list[str]]]:
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README, re.DOTALL):
        current: tuple[str, list[str]] | None = None
        for line in block.splitlines():
            if line.startswith("$ "):
                command = line[2:].split("     #", 1)[0].strip()
                # the quick start installs first: the example is what follows the last &&
                command = command.rsplit(" && ", 1)[-1]
                current = (command, [])
                examples.append(current)
            elif current is not None:
                current[1].append(line)
    return [
        (command, lines)
        for command, lines in examples
        if command.startswith("pull-planner ") and "localhost:" not in command
    ]


EXAMPLES = _examples()


def test_the_readme_has_offline_examples() -> None:
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command: str, expected: list[str]) -> None:
    argv = [sys.executable, "-m", "planner", *shlex.split(command)[1:]]
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    output = (done.stdout + done.stderr).splitlines()
    # every line a person reads fits 80 columns; an error is one line, however long
    assert all(len(line) <= 80 for line in output if not line.startswith("pull-planner: error:"))
    if "..." not in expected:
        assert output == expected
        return
    position = 0
    for line in (e for e in expected if e != "..."):
        # a line that ends in "..." is shown cut short: it matches as a prefix
        wanted = (lambda o, p=line[:-3]: o.startswith(p)) if line.endswith("...") else line.__eq__
        found = next((i for i in range(position, len(output)) if wanted(output[i])), None)
        assert found is not None, f"{line!r} not in the output after line {position}"
        position = found + 1


def _synopsis() -> dict[str, str]:
    block = README.split("<!-- synopsis -->\n```\n", 1)[1].split("```", 1)[0]
    parts: dict[str, str] = {}
    current = ""
    for line in block.splitlines():
        if line.startswith("pull-planner "):
            current = line.split()[1]
        elif line and not line.startswith(" "):
            current = line.split(":", 1)[0]
        parts[current] = parts.get(current, "") + " " + line
    return parts


def test_the_synopsis_lists_every_flag_of_every_command() -> None:
    from planner.cli.parser import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    synopsis = _synopsis()
    for name, sub in commands.choices.items():
        text = synopsis[name]
        if "HOST " in text or text.endswith("HOST"):
            text += synopsis["HOST"]
        if "[REGISTRY OPTIONS]" in text:
            text += synopsis["REGISTRY OPTIONS"]
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert any(re.search(rf"{re.escape(o)}\b", text) for o in action.option_strings), (
                    f"README synopsis of {name} lacks {action.option_strings}"
                )


def test_the_library_example_runs_and_passes_mypy_strict(tmp_path: Path) -> None:
    """Issue 22: the README's select(parse_document(...)) snippet failed mypy --strict
    (Index | ImageManifest) and named an undefined raw_bytes."""
    (block,) = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    example = tmp_path / "example.py"
    example.write_text(block)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MYPYPATH": str(ROOT)}
    ran = subprocess.run(
        [sys.executable, str(example)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(example)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
