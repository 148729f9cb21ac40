"""Fixtures for the impersonation tests."""

from pathlib import Path

import pytest

from workflows.impersonation.institution import InstitutionProfile

from . import helpers


@pytest.fixture
def harbor() -> InstitutionProfile:
    return helpers.harbor()


@pytest.fixture
def dev_set() -> Path:
    return helpers.dev_set()
