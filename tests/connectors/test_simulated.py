"""The simulated platform: profiles from a file, publishing recorded in memory and in JSONL."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import (
    Connector,
    Credentials,
    MediaFile,
    NotFound,
    PlatformError,
    PublishRequest,
    RateLimited,
)
from connectors.simulated import SimulatedConnector, load_profiles
from service import clock
from workflows.platforms import Platform

DEV_PROFILES = (
    Path(__file__).resolve().parents[2] / "../shared/eval/impersonation/dev/profiles.jsonl"
)
ACCOUNT = Credentials("simulated-token", account_platform_id="sim-account-1")
RECORDS = [
    {
        "id": "x:1001",
        "platform": "x",
        "handle": "MNTC_official",
        "display_name": "Moore Norman Technology Center",
        "bio": "Official account of Moore Norman Technology Center, Norman OK.",
        "url": "https://www.mntc.edu",
        "location": "Norman, OK",
        "created_at": "2011-04-02T15:00:00Z",
        "followers": 9100,
        "verified": True,
        "profile_image": "images/logo.png",
    },
    {
        "id": "instagram:2002",
        "platform": "instagram",
        "handle": "mntc_official",
        "display_name": "MNTC Fan Club",
        "bio": "Fans of Moore Norman. Not affiliated.",
        "url": None,
        "location": None,
        "created_at": "2024-01-05T10:00:00Z",
        "followers": 40,
        "verified": False,
        "profile_image": None,
    },
    {
        "id": "x:1003",
        "platform": "x",
        "handle": "norman_tennis",
        "display_name": "Norman Tennis Club",
        "bio": "Tennis in Norman",
        "url": None,
        "location": "Norman, OK",
        "created_at": "2019-06-01T08:00:00Z",
        "followers": 300,
        "verified": False,
        "profile_image": None,
    },
]


@pytest.fixture
def profiles_file(tmp_path: Path) -> Path:
    path = tmp_path / "eval" / "profiles.jsonl"
    path.parent.mkdir()
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def sim(profiles_file: Path, tmp_path: Path) -> SimulatedConnector:
    return SimulatedConnector(
        profiles_path=profiles_file, published_path=tmp_path / "var" / "published.jsonl"
    )


def request(text: str = "Open house Saturday!", key: str = "post-7-rev-1") -> PublishRequest:
    image = MediaFile("flyer.png", "image/png", b"png")
    return PublishRequest(
        post_id=7, target_id=3, text=text, idempotency_key=key, media=(image,), handle="mntc"
    )


def test_it_loads_the_development_profiles() -> None:
    if not DEV_PROFILES.exists():
        pytest.skip(f"{DEV_PROFILES} is not in this checkout")
    sim = SimulatedConnector(profiles_path=DEV_PROFILES)
    lines = [line for line in DEV_PROFILES.read_text().splitlines() if line.strip()]

    assert len(sim.profiles) == len(lines)
    assert {p.platform for p in sim.profiles} <= set(Platform)
    assert all(p.created_at is None or p.created_at.tzinfo for p in sim.profiles)


def test_profiles_keep_the_eval_format(sim: SimulatedConnector, profiles_file: Path) -> None:
    profile = sim.lookup_handles(["mntc_OFFICIAL"])[0]

    assert profile.platform is Platform.x and profile.platform_id == "1001"
    assert profile.key == "x:1001"
    assert profile.created_at == datetime(2011, 4, 2, 15, tzinfo=UTC)
    assert profile.verified and profile.followers == 9100
    image = (profiles_file.parent / "images/logo.png").resolve().as_uri()
    assert profile.profile_image_url == image


def test_lookup_is_case_insensitive_and_may_be_fixed_to_one_platform(
    sim: SimulatedConnector, profiles_file: Path
) -> None:
    assert len(sim.lookup_handles(["@MNTC_Official", "nobody"])) == 2  # on x and instagram
    only_x = SimulatedConnector(profiles_path=profiles_file, platform=Platform.x)
    [profile] = only_x.lookup_handles(["mntc_official"])
    assert profile.platform is Platform.x
    assert only_x.platform is Platform.x and sim.platform is None


def test_lookup_counts_one_call_per_batch_of_100(sim: SimulatedConnector) -> None:
    sim.lookup_handles([f"handle{i}" for i in range(250)])
    assert sim.api_calls == 3


def test_search_matches_phrases_and_every_word(sim: SimulatedConnector) -> None:
    assert [p.handle for p in sim.search_accounts("moore norman")] == [
        "MNTC_official",
        "mntc_official",
    ]
    assert [p.handle for p in sim.search_accounts("tennis club norman")] == ["norman_tennis"]
    assert sim.search_accounts("moore", limit=1)[0].platform_id == "1001"
    assert sim.search_accounts("   ") == []


def test_a_json_array_file_works_too(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")
    assert len(load_profiles(path)) == 3


def test_publish_records_in_memory_and_in_the_file(sim: SimulatedConnector, tmp_path: Path) -> None:
    clock.freeze(datetime(2026, 11, 25, 12, tzinfo=UTC))

    published = sim.publish(request(), ACCOUNT)

    assert published.platform_post_id == "sim-1"
    assert published.url == "https://simulated.example/mntc/posts/sim-1"
    [record] = sim.published
    assert record["text"] == "Open house Saturday!" and record["media"] == ["flyer.png"]
    lines = (tmp_path / "var" / "published.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["published_at"] == "2026-11-25T12:00:00+00:00"
    again = SimulatedConnector(published_path=tmp_path / "var" / "published.jsonl")
    assert again.find_published(request(), ACCOUNT) == published
    assert again.publish(request(key="other"), ACCOUNT).platform_post_id == "sim-2"


def test_an_unknown_publish_result_is_reconciled(sim: SimulatedConnector) -> None:
    sim.fail_next(PlatformError("simulated", "timed out", retryable=True), after_publishing=True)

    with pytest.raises(PlatformError):
        sim.publish(request(), ACCOUNT)

    found = sim.find_published(request(), ACCOUNT)
    assert found is not None and found.platform_post_id == "sim-1"
    assert sim.find_published(request(key="never-sent"), ACCOUNT) is None


def test_failures_can_be_injected_before_any_effect(sim: SimulatedConnector) -> None:
    retry_at = datetime(2026, 11, 25, 13, tzinfo=UTC)
    sim.fail_next(RateLimited("simulated", "slow down", retry_at))

    with pytest.raises(RateLimited):
        sim.publish(request(), ACCOUNT)
    assert sim.published == []
    assert sim.publish(request(), ACCOUNT).platform_post_id == "sim-1"


def test_delete_marks_the_post_and_a_second_delete_is_not_found(
    sim: SimulatedConnector, tmp_path: Path
) -> None:
    published = sim.publish(request(), ACCOUNT)

    sim.delete(published.platform_post_id, ACCOUNT)

    assert sim.find_published(request(), ACCOUNT) is None
    with pytest.raises(NotFound):
        sim.delete(published.platform_post_id, ACCOUNT)
    reloaded = SimulatedConnector(published_path=tmp_path / "var" / "published.jsonl")
    assert reloaded.published[0]["deleted"]


def test_it_is_a_connector_without_any_file() -> None:
    sim = SimulatedConnector()
    assert isinstance(sim, Connector)
    assert sim.lookup_handles(["anyone"]) == []
    assert sim.publish(request(), ACCOUNT).url.startswith("https://simulated.example/mntc/")
    assert sim.api_calls == 2 and sim.denied_features == frozenset()
