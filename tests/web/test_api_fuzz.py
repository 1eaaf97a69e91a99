"""The API fuzzed from its own OpenAPI document (schemathesis): whatever a client sends, no
answer is a server error, and every answer is one the document declares (status code, content
type, body). A bounded, derandomized run on SQLite, with a token and a little data."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from webtools import drain

from syncbeat.engine.actions import run_now

EXAMPLES = 50  # per operation and mode: 25 s of CPU for the whole API (30-45 s on 2 cores)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ORDER = {"GET": 0, "DELETE": 2}  # reads first, deletions last: the seeded rows stay to be read
SKIPPED = {
    # Runs the fuzzed profiles' tasks: imports and exports that read and write files.
    ("POST", "/api/heartbeat"),
    # Would revoke the fuzzer's own token half way; tests/web/test_pages.py revokes one.
    ("DELETE", "/api/tokens/{token_id}"),
}
# Happy paths the seeded profiles, task and products must let the fuzzer reach.
REACHED = {"GET /api/tasks", "GET /api/tasks/{task_id}", "GET /api/tasks/{task_id}/items",
           "GET /api/tasks/{task_id}/log", "GET /api/tasks/{task_id}/report",
           "GET /api/profiles/{ref}", "POST /api/profiles/{ref}/run", "GET /api/products",
           "GET /api/products/{key}", "GET /api/schedule", "POST /api/profiles/preview"}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite always: the fuzz run is bounded in time, and the same on every machine."""
    return f"sqlite:///{tmp_path / 'fuzz.db'}"


@pytest.mark.slow
def test_the_api_answers_what_its_openapi_document_says(app: Any, token: str, ctx: Any,
                                                         shop: Any) -> None:
    run_now(ctx, shop["import"].id)
    drain(ctx)  # task 1: a completed import, with its log, report and items
    run_now(ctx, shop["export"].id)  # task 2: a pending export
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: ORDER.get(op.method.upper(), 1))
    failures: list[str] = []
    answers: Counter[tuple[str, int]] = Counter()
    started = time.monotonic()
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, auth, answers)
            if failure:
                failures.append(f"{operation.label} ({mode}): {failure}")
    print(f"\nfuzzed {sum(answers.values())} requests in {time.monotonic() - started:.1f} s")
    for (label, code), n in sorted(answers.items()):
        print(f"  {label}: {code} x{n}")
    assert not failures, "\n\n".join(failures)
    reached = {label for (label, code), _ in answers.items() if code < 300}
    assert REACHED <= reached, REACHED - reached


def _fuzz(operation: Any, mode: GenerationMode, auth: dict[str, str],
          answers: Counter[tuple[str, int]]) -> str | None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        response = case.call(headers=auth)
        answers[(operation.label, response.status_code)] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        fuzz()
    except Unsatisfiable:
        pass  # nothing to send wrong: no parameters and no body
    except BaseException as exc:  # schemathesis reports a group of failures
        if isinstance(exc, KeyboardInterrupt):
            raise
        return str(exc)[:3000]
    return None
