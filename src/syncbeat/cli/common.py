"""What every command says the same way: one line on standard error and an exit code
(`fail`), the use cases' typed errors answered so, JSON, tables, times, files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from syncbeat.engine.accounts import AccountError
from syncbeat.engine.errors import ActionError, SettingRefused

# The use cases' typed errors that the command line answers in their own words with exit
# code 1, whichever command meets them (`Commands.invoke`). A command that adds words of its
# own (a NotFound that points at `profile list`, a profile's mistakes field by field) catches
# its error itself.
ANSWERED = (ActionError, AccountError, SettingRefused)

# --json, the same on every command that can print JSON.
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line for the operator and exit."""
    click.echo(f"syncbeat: {message}", err=True)
    sys.exit(code)


def print_json(data: Any) -> None:
    """`data` as indented JSON (dates and decimals as text)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def when(value: Any) -> str:
    """A time as a table shows it; '' for none."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Rows in columns under a header; "(none)" for no row."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        click.echo("(none)")


def write_out(output: Path | None, chunks: Iterable[str | bytes]) -> None:
    """Chunks to standard output, or to the file `output` (whole or not at all)."""
    if output is None:
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        out.flush()
        return
    tmp = output.with_name(output.name + ".part")
    with tmp.open("wb") as f:
        for chunk in chunks:
            f.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
    tmp.replace(output)
    click.echo(f"written to {output}", err=True)


def os_user() -> str:
    """Who runs this command, as the actions log names them."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "a user"


def password_box(username: str, password: str) -> str:
    """The first user's password, boxed so it stands out from the lines around it."""
    lines = [f"Sign in as {username} with the password {password}",
             "It is shown only once. To set a new one:",
             f"  syncbeat user password {username} --generate"]
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line.ljust(width)} |" for line in lines), rule])
