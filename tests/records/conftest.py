"""A published post naming a consenting student, with an image, reviewed with a comment
that mentions what only the consent records know."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from connectors.simulated import SimulatedConnector
from service import clock
from service.jobs import Job
from service.publishing import service as publishing
from tests.posts.conftest import grant_consent, landscape  # noqa: F401 - a fixture
from tests.publishing.conftest import newsroom, platform  # noqa: F401 - a fixture

PUBLISHED_ON = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
POST_TEXT = "Congratulations to Janie on the robotics award!"
COMMENT = '=HYPERLINK("http://evil.example") checked Tom Secret (S7654321) and S1234567'


@dataclass
class Published:
    post_id: int
    account_id: int


@pytest.fixture
def published(
    live_app: TestClient,
    platform: SimulatedConnector,  # noqa: F811 - the fixture imported above
    deferred: list[Job],
    landscape: bytes,  # noqa: F811
) -> Published:
    clock.freeze(PUBLISHED_ON)
    boss, author, designee, account = newsroom(live_app)
    jane = live_app.post(
        "/api/v1/students",
        json={
            "full_name": "Jane Doe",
            "preferred_name": "Janie",
            "site": "North Campus",
            "student_number": "S1234567",
        },
        headers=boss.headers,
    ).json()
    grant_consent(live_app, boss, jane["id"], "name")
    live_app.post(
        "/api/v1/students",
        json={"full_name": "Tom Secret", "site": "North Campus", "student_number": "S7654321"},
        headers=boss.headers,
    )
    post = live_app.post(
        "/api/v1/posts",
        json={"account_ids": [account["id"]], "text": POST_TEXT},
        headers=author.headers,
    ).json()
    attached = live_app.post(
        f"/api/v1/posts/{post['id']}/media",
        files={"file": ("award.jpg", landscape, "image/jpeg")},
        data={"depicts": "none"},
        headers=author.headers,
    )
    assert attached.status_code == 200, attached.text
    live_app.post(f"/api/v1/posts/{post['id']}/submit", headers=author.headers)
    approved = live_app.post(
        f"/api/v1/posts/{post['id']}/approve", json={"comment": COMMENT}, headers=designee.headers
    )
    assert approved.json()["status"] == "approved", approved.text
    publishing.publish_post(post["id"])
    return Published(post["id"], account["id"])
