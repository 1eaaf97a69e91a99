"""Fixtures of the web tier: the app on the test database, an in-process client, a user,
an API token, and a small catalog with feeds and profiles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from webtools import (
    PASSWORD,
    TestClient,
    add_products,
    add_profile,
    export_data,
    import_data,
    sign_in,
    write_feed,
)

from syncbeat.domain.profile import Profile


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with small costs: the tests check the flow, not the hash's strength."""
    from argon2 import PasswordHasher

    from syncbeat.engine import passwords

    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(ctx: Any) -> Any:
    from syncbeat.web.app import create_app

    return create_app(ctx, worker=False, secret=b"test-secret")


@pytest.fixture
def admin(ctx: Any) -> Any:
    from syncbeat.engine.accounts import create_account

    return create_account(ctx.db, "admin", PASSWORD, ctx.clock())


@pytest.fixture
def anon(app: Any) -> Iterator[TestClient]:
    """A client that has not signed in."""
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def web(app: Any, admin: Any) -> Iterator[TestClient]:
    """A client signed in as admin (pages)."""
    with TestClient(app, base_url="http://testserver") as client:
        assert sign_in(client).status_code == 303
        yield client


@pytest.fixture
def token(ctx: Any) -> str:
    from syncbeat.engine.tokens import issue_token

    return issue_token(ctx.db, name="tests", scope="api:write", by="tests", now=ctx.clock())[1]


@pytest.fixture
def api(app: Any, token: str) -> Iterator[TestClient]:
    """A client of the JSON API with a Bearer token."""
    with TestClient(app, base_url="http://testserver",
                    headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


@pytest.fixture
def shop(ctx: Any) -> dict[str, Profile]:
    """10 products, a feed that changes 6 of them (1 bad price, 2 unknown, 1 unchanged)."""
    add_products(ctx, 10)
    rows = [[f"P{i}", f"Product {i}", "2.00", "5"] for i in range(1, 7)]
    rows += [["P7", "Product 7", "abc", "1"], ["P8", "Product 8", "1.00", "1"],
             ["NEW1", "New", "3.00", "1"], ["NEW2", "New", "3.00", "1"]]
    write_feed(ctx, "a.csv", rows)
    return {"import": add_profile(ctx, import_data()), "export": add_profile(ctx, export_data())}
