"""Where syncbeat keeps its data, read from the environment (injectable for tests)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_DATA_DIR = "SYNCBEAT_DATA_DIR"
ENV_DATABASE_URL = "SYNCBEAT_DATABASE_URL"
DEFAULT_DATA_DIR = "./syncbeat-data"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Process settings: the data folder and the database. Run-time settings live in the DB."""

    data_dir: Path
    database_url: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read SYNCBEAT_DATA_DIR and SYNCBEAT_DATABASE_URL (defaults: ./syncbeat-data, SQLite)."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)
        url = env.get(ENV_DATABASE_URL) or f"sqlite:///{(data_dir / 'syncbeat.db').resolve()}"
        return cls(data_dir=data_dir, database_url=url)

    @property
    def artifacts_dir(self) -> Path:
        """Per-task files: source snapshots, export files."""
        return self.data_dir / "tasks"
