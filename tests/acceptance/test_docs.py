"""Docs that cannot drift: every command, option, environment variable and run-time setting
is in docs/cli.md (after Datasette's test_docs.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from syncbeat.cli import main
from syncbeat.store.settings import SETTING_NAMES, RuntimeSettings

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs" / "cli.md"
HEADING = re.compile(r"^#{2,3} ", re.M)


def _commands(
    command: click.Command = main, ctx: click.Context | None = None
) -> Iterator[tuple[str, click.Command, click.Context]]:
    """Every command and group with the click context it runs in (which names the
    environment variables its options read), by path: "syncbeat", "syncbeat profile add"."""
    ctx = ctx or click.Context(main, info_name="syncbeat", **main.context_settings)
    yield ctx.command_path, command, ctx
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, click.Context(sub, info_name=name, parent=ctx))


COMMANDS = {path: (command, ctx) for path, command, ctx in _commands()}


def _envvar(option: click.Option, ctx: click.Context) -> str | None:
    """The variable an option reads: its own, or the automatic SYNCBEAT_<COMMAND>_<NAME>."""
    if option.envvar:
        return option.envvar if isinstance(option.envvar, str) else option.envvar[0]
    if option.allow_from_autoenv and ctx.auto_envvar_prefix and option.name:
        return f"{ctx.auto_envvar_prefix}_{option.name.upper()}"
    return None


def _named_after_the_flag(option: click.Option, ctx: click.Context) -> str:
    """SYNCBEAT_<COMMAND>_<FLAG>: the variable of an option without a name of its own."""
    flag = max((o for o in option.opts if o.startswith("--")), key=len, default="")
    return f"{ctx.auto_envvar_prefix}_{flag[2:].replace('-', '_').upper()}"


def _options(path: str) -> list[tuple[click.Option, str | None]]:
    command, ctx = COMMANDS[path]
    return [(p, _envvar(p, ctx)) for p in command.params if isinstance(p, click.Option)]


@pytest.fixture(scope="module")
def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


def _section(docs: str, path: str) -> str:
    """The text under the heading "### `PATH`", up to the next heading."""
    heading = f"### `{path}`\n"
    assert heading in docs, f"docs/cli.md has no heading for `{path}`"
    start = docs.index(heading) + len(heading)
    following = HEADING.search(docs, start)
    return docs[start: following.start() if following else len(docs)]


def test_the_walk_finds_the_commands():
    assert {"syncbeat init", "syncbeat profile add", "syncbeat task export-file",
            "syncbeat worker", "syncbeat settings"} <= set(COMMANDS)
    assert ("--drain", "SYNCBEAT_WORKER_DRAIN") in {
        (o.opts[0], env) for o, env in _options("syncbeat worker")}


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_has_a_section_naming_its_options_and_their_variables(docs, path):
    section = _section(docs, path)
    assert section.strip(), f"the section of `{path}` says nothing"
    for option, envvar in _options(path):
        longest = max(option.opts, key=len)
        assert f"`{longest}" in section, f"`{path}`: option {longest} is not documented"
        if envvar and option.expose_value:  # not --version: see test_setup.py
            assert f"`{envvar}`" in section, f"`{path}` {longest}: {envvar} is not documented"


def test_every_environment_variable_is_documented(docs):
    own = {env for path in COMMANDS for o, env in _options(path)
           if isinstance(o.envvar, str) and (
               path == "syncbeat" or env != _named_after_the_flag(o, COMMANDS[path][1]))}
    assert {"SYNCBEAT_DATA_DIR", "SYNCBEAT_DATABASE_URL", "SYNCBEAT_HOST"} <= own
    table = docs[docs.index("## Environment variables"):]
    for name in sorted(own):
        assert f"| `{name}` |" in table, f"{name} is missing from the environment variables"
    # And every variable the code names, wherever it is read.
    for path in sorted((ROOT / "src" / "syncbeat").rglob("*.py")):
        for name in re.findall(r"\bSYNCBEAT_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")):
            assert f"`{name}`" in docs, f"{name} ({path.name}) is missing from docs/cli.md"


@pytest.mark.parametrize("name", SETTING_NAMES)
def test_every_setting_is_documented_with_its_default(docs, name):
    default = getattr(RuntimeSettings(), name)
    rows = [line for line in docs.splitlines() if line.startswith(f"| `{name}` |")]
    assert rows, f"the setting {name} is missing from docs/cli.md"
    shown = "| (empty) |" if default == "" else f"| `{default}` |"
    assert shown in rows[0], f"{name}: the default is {default!r}, not {rows[0]}"
