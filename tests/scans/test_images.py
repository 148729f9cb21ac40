"""Profile images: fetched best effort, local files only for the simulated platform."""

from pathlib import Path

import pytest
import requests
import responses

from service.scans import images
from service.scans.images import fetch_image

PNG = (Path(__file__).resolve().parents[2] / "service/demo/logo.png").read_bytes()


def test_local_files_only_when_allowed(tmp_path: Path) -> None:
    avatar = tmp_path / "avatar.png"
    avatar.write_bytes(PNG)
    assert fetch_image(avatar.as_uri(), allow_files=True) == PNG
    assert fetch_image(avatar.as_uri()) is None
    assert fetch_image((tmp_path / "missing.png").as_uri(), allow_files=True) is None
    assert fetch_image(None) is None and fetch_image("ftp://example.com/a.png") is None


@responses.activate
def test_downloads_with_a_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    responses.get("https://cdn.example/ok.png", body=PNG, content_type="image/png")
    responses.get("https://cdn.example/gone.png", status=404)
    responses.get("https://cdn.example/huge.png", body=b"x" * 2048)
    responses.get("https://cdn.example/boom.png", body=requests.ConnectionError("reset"))
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 1024)
    assert fetch_image("https://cdn.example/huge.png") is None
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 10 * len(PNG))
    assert fetch_image("https://cdn.example/ok.png") == PNG
    assert fetch_image("https://cdn.example/gone.png") is None
    assert fetch_image("https://cdn.example/boom.png") is None
