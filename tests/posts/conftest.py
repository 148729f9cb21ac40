"""A register, a roster and the people of the approval workflow, built through the API."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from skimage import data as skimage_data

from service.users.models import Role
from tests.conftest import Person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def group_photo() -> bytes:
    """Four real faces: the astronaut photograph tiled two by two."""
    face = skimage_data.astronaut()
    return jpeg(np.vstack([np.hstack([face, face]), np.hstack([face, face])]))


@pytest.fixture(scope="session")
def portrait() -> bytes:
    return jpeg(skimage_data.astronaut())


@pytest.fixture(scope="session")
def landscape() -> bytes:
    rng = np.random.default_rng(7)
    sky = np.linspace(80, 220, 400, dtype=np.uint8)[:, None, None].repeat(600, 1).repeat(3, 2)
    return jpeg(np.clip(sky + rng.integers(0, 12, sky.shape), 0, 255).astype(np.uint8))


@dataclass
class Newsroom:
    """Who is who in a post's life, and the account they post to."""

    author: Person
    designee: Person
    site_admin: Person
    superintendent: Person
    account_id: int


@pytest.fixture
def newsroom(
    app: TestClient, make_person: Callable[..., Person], superintendent: Person, staff: Person
) -> Newsroom:
    account = app.post(
        "/api/v1/accounts", json={"url": "https://x.com/RiverbendTech"}, headers=staff.headers
    ).json()
    app.post(f"/api/v1/accounts/{account['id']}/authorize", headers=superintendent.headers)
    return Newsroom(
        author=staff,
        designee=make_person(Role.designee),
        site_admin=make_person(Role.site_admin),
        superintendent=superintendent,
        account_id=account["id"],
    )


@pytest.fixture
def add_student(app: TestClient, superintendent: Person) -> Callable[..., dict[str, object]]:
    def add(
        full_name: str, *, consent: str | None = None, site: str = "North Campus"
    ) -> dict[str, object]:
        student = app.post(
            "/api/v1/students",
            json={"full_name": full_name, "site": site},
            headers=superintendent.headers,
        ).json()
        if consent:
            grant_consent(app, superintendent, student["id"], consent)
        return student

    return add


def grant_consent(app: TestClient, granter: Person, student_id: int, scope: str) -> int:
    guardian = app.post(
        f"/api/v1/students/{student_id}/guardians",
        json={"name": "A. Guardian", "email": "guardian@home.example"},
        headers=granter.headers,
    )
    assert guardian.status_code == 201, guardian.text
    consent = app.post(
        "/api/v1/consents",
        json={
            "student_id": student_id,
            "guardian_id": guardian.json()["id"],
            "scope": scope,
            "granted_on": date(2026, 9, 1).isoformat(),
        },
        headers=granter.headers,
    )
    assert consent.status_code == 201, consent.text
    evidence = app.post(
        f"/api/v1/consents/{consent.json()['id']}/evidence",
        files={"file": ("signed.pdf", PDF, "application/pdf")},
        headers=granter.headers,
    )
    assert evidence.status_code == 200, evidence.text
    consent_id: int = consent.json()["id"]
    return consent_id


def draft_post(
    client: TestClient, author: Person, account_id: int, text: str, **fields: object
) -> dict[str, Any]:
    """A new post by `author`, checked to have been created."""
    response = client.post(
        "/api/v1/posts",
        json={"account_ids": [account_id], "text": text, **fields},
        headers=author.headers,
    )
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


@dataclass
class LiveNewsroom:
    """The people of a post's life and an authorized account, committed for real."""

    author: Person
    designees: list[Person]
    superintendent: Person
    account_id: int


def build_live_newsroom(
    live_app: TestClient, make_live_person: Callable[..., Person], designees: int
) -> LiveNewsroom:
    superintendent = make_live_person(Role.superintendent)
    author = make_live_person(Role.staff)
    account = live_app.post(
        "/api/v1/accounts", json={"url": "https://x.com/RiverbendTech"}, headers=author.headers
    )
    assert account.status_code == 201, account.text
    authorized = live_app.post(
        f"/api/v1/accounts/{account.json()['id']}/authorize", headers=superintendent.headers
    )
    assert authorized.status_code == 200, authorized.text
    return LiveNewsroom(
        author=author,
        designees=[make_live_person(Role.designee) for _ in range(designees)],
        superintendent=superintendent,
        account_id=account.json()["id"],
    )
