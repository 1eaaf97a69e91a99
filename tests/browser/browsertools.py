"""Helpers of the browser tier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PASSWORD = "browser-tests-1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def sign_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{url}/tasks")
