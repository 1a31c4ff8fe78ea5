"""Shared fixtures: the embedded geography, read once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import territorial

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test helpers such as ban_stub


@pytest.fixture(scope="session")
def communes():
    return territorial.communes()


@pytest.fixture(scope="session")
def town_halls():
    return territorial.town_halls()


@pytest.fixture(scope="session")
def default_territories():
    return territorial.territories()
