"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SEED_INDEX


@pytest.fixture
def seed_index() -> Path:
    return SEED_INDEX
