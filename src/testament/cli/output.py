"""What the CLI prints, and how it exits.

stdout carries results (a table, or one JSON document with `--json`); stderr carries progress,
warnings and errors, so `testament run X --wait --json | jq` works. When stdout is not a
terminal nothing is coloured and nothing is redrawn: CI logs get plain lines.

Exit codes (documented in the README): 0 all passed, 1 a test failed (or a plan's gate did
not hold), 2 the command could not do what was asked (bad input, server unreachable, an
unwritable path), 124 `--timeout` ran out, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_PASSED",
    "EXIT_TERMINATED",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "console",
    "err",
    "fail",
    "print_json",
    "warn",
]

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

# Off a terminal Rich neither colours nor redraws; a wide page keeps tables on one line each.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 200)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr, then exit."""
    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def warn(message: str) -> None:
    err.print(f"warning: {message}", markup=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str) + "\n")
    sys.stdout.flush()
