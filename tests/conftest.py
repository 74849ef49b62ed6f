"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.content import Content, push_content
from tests.helpers import SEED_INDEX
from tests.registry import Registry


@pytest.fixture
def seed_index() -> Path:
    return SEED_INDEX


@pytest.fixture(scope="session")
def registry_content(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Content]:
    registry = Registry(tmp_path_factory.mktemp("registry")).start()
    try:
        yield push_content(registry)
    finally:
        registry.stop()
