"""The demo a new user starts with `make demo`: enough to click through the whole loop."""

import pytest
from fastapi.testclient import TestClient

from service import demo
from service.db import session_scope


@pytest.mark.usefixtures("deferred")  # the publishing job it starts is tested elsewhere
def test_the_demo_staff_member_can_take_a_post_to_publication(live_app: TestClient) -> None:
    with session_scope() as session:
        tokens = {user.email: token for user, token in demo._seed(session)}
    with session_scope() as session:
        demo._seed(session)  # a second start changes nothing but tokens
    comms = {"Authorization": f"Bearer {tokens['comms@riverbend-tech.example']}"}
    designee = {"Authorization": f"Bearer {tokens['designee@riverbend-tech.example']}"}
    official = live_app.get("/api/v1/public/accounts").json()
    assert len(official) == 4
    accounts = live_app.get("/api/v1/accounts", headers=comms).json()
    x_account = next(a for a in accounts if a["handle"] == "RiverbendTech")
    assert "comms@riverbend-tech.example" in x_account["stewards"]

    post = live_app.post(
        "/api/v1/posts",
        json={"account_ids": [x_account["id"]], "text": "Open house Saturday at 10."},
        headers=comms,
    ).json()
    submitted = live_app.post(f"/api/v1/posts/{post['id']}/submit", headers=comms)
    assert submitted.status_code == 200, submitted.text
    approved = live_app.post(f"/api/v1/posts/{post['id']}/approve", headers=designee)
    assert approved.json()["status"] == "approved"
