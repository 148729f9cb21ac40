"""The public pages answer plainly, without sign-in, and only what the public API answers."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.accounts import service as accounts
from service.users.models import Role
from tests.conftest import Person
from workflows.platforms import Platform

HTML = {"accept": "text/html"}


def _official(session: Session, make_person: Callable[..., Person]) -> None:
    superintendent = make_person(Role.superintendent)
    accounts.register_official(
        session,
        actor=superintendent.email,
        ref=accounts.resolve_reference(platform=Platform.x, handle="NorthfieldTech"),
        display_name="Northfield Technical College",
    )
    session.commit()


def test_verify_says_official_with_the_name_and_platform(
    app: TestClient, session: Session, make_person: Callable[..., Person]
) -> None:
    _official(session, make_person)
    page = app.get("/verify", params={"url": "https://x.com/northfieldtech"}, headers=HTML)
    assert page.status_code == 200
    assert "Yes — official" in page.text
    assert "Northfield Technical College" in page.text and "X" in page.text


def test_verify_says_not_official_for_a_lookalike(
    app: TestClient, session: Session, make_person: Callable[..., Person]
) -> None:
    _official(session, make_person)
    page = app.get("/verify", params={"url": "https://x.com/northfie1dtech"}, headers=HTML)
    assert page.status_code == 200
    assert "not an official account" in page.text
    assert "Yes — official" not in page.text


def test_verify_explains_an_address_it_cannot_read(app: TestClient) -> None:
    page = app.get("/verify", params={"url": "https://example.com/whatever"}, headers=HTML)
    assert page.status_code == 422
    assert 'role="alert"' in page.text


def test_the_directory_lists_official_accounts_only(
    app: TestClient, session: Session, make_person: Callable[..., Person]
) -> None:
    _official(session, make_person)
    page = app.get("/directory", headers=HTML)
    assert "@NorthfieldTech" in page.text
    assert "Northfield Technical College" in page.text
