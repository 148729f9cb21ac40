"""Fixtures of the consent tests: people of the roles the registry distinguishes."""

from collections.abc import Callable

import pytest
from sqlmodel import Session

from service.users.models import Role
from tests.conftest import Person


@pytest.fixture
def site_admin(make_person: Callable[..., Person], session: Session) -> Callable[[str], Person]:
    """A site administrator confined to one site."""

    def make(site: str) -> Person:
        person = make_person(Role.site_admin)
        person.user.site = site
        session.add(person.user)
        session.commit()
        return person

    return make


@pytest.fixture
def auditor(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.auditor)
