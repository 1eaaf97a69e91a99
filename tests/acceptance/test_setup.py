"""Before and after `syncbeat init`: one clear line instead of a traceback; init is safe twice."""

from __future__ import annotations

INIT_HINT = "run `syncbeat init`"


def test_a_command_before_init_says_to_run_init_in_one_line(bare):
    result, *others = bare.many(["tasks"], ["profile", "list"], ["catalog", "count"],
                                check=False)
    assert result.code == 2, str(result)
    assert result.out == ""
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("syncbeat: ")
    assert INIT_HINT in line
    assert "Traceback" not in result.err

    # Every command that needs the tables says the same.
    for other in others:
        assert (other.code, other.err_lines) == (2, [line]), str(other)


def test_init_creates_the_tables_and_is_safe_twice(bare):
    first = bare("init")
    assert "(was empty)" in first.out, str(first)
    second = bare("init")
    assert len(second.lines) == 1
    assert "is up to date" in second.out, str(second)
    assert bare.data_dir.is_dir()
    tasks, count = bare.many(["tasks", "--json"], ["catalog", "count"])
    assert tasks.json() == []
    assert count.out.strip() == "0"


def test_a_variable_named_like_the_version_does_not_change_commands(sb):
    for value in ("0.1.0", "1"):
        result = sb.with_env(SYNCBEAT_VERSION=value).run("tasks", "--json")
        assert (result.code, result.out.strip()) == (0, "[]"), str(result)


def test_an_option_reads_the_variable_named_after_its_flag(sb):
    # --json reads SYNCBEAT_TASKS_JSON (SYNCBEAT_TASKS_AS_JSON, its earlier name, still works).
    assert sb.run("tasks").out.startswith("id ")
    assert sb.with_env(SYNCBEAT_TASKS_JSON="1").run("tasks").out.strip() == "[]"
    assert "SYNCBEAT_TASKS_JSON" in sb.run("tasks", "--help").out.replace("\n", "").replace(
        " ", "")
