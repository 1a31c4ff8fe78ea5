"""Shared fixtures: the embedded geography, read once per test session."""

from __future__ import annotations


import pytest

import territorial



@pytest.fixture(scope="session")
def communes():
    return territorial.communes()


@pytest.fixture(scope="session")
def town_halls():
    return territorial.town_halls()


@pytest.fixture(scope="session")
def default_territories():
    return territorial.territories()
