"""A store folder per test, and a helper listing what it holds."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "documents"


def stored_files(store_dir: Path) -> list[Path]:
    """Every file under the store, temporary ones included."""
    return sorted(path for path in store_dir.rglob("*") if path.is_file())
