"""`connectors.get` builds the configured connector from settings, or says which to set."""

import pytest

import connectors
from connectors import Connector, ConnectorNotConfigured, Credentials, get
from connectors.facebook import FacebookConnector
from connectors.instagram import InstagramConnector
from connectors.simulated import SimulatedConnector
from connectors.x import XConnector
from service.settings import Settings
from workflows.platforms import Platform


@pytest.mark.parametrize(
    ("name", "settings_named"),
    [
        ("x", "IMPRIMATUR_X_BEARER_TOKEN"),
        ("facebook", "IMPRIMATUR_META_APP_TOKEN"),
        ("instagram", "IMPRIMATUR_INSTAGRAM_BUSINESS_ACCOUNT_ID"),
    ],
)
def test_an_unconfigured_platform_names_the_settings_to_set(name: str, settings_named: str) -> None:
    with pytest.raises(ConnectorNotConfigured, match=settings_named) as error:
        get(name)
    assert error.value.platform == name


def test_an_unknown_platform_is_refused_clearly() -> None:
    with pytest.raises(ConnectorNotConfigured, match="known: facebook, instagram, simulated, x"):
        get("myspace")


def test_configured_platforms_are_built_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPRIMATUR_X_BEARER_TOKEN", "bearer")
    monkeypatch.setenv("IMPRIMATUR_META_APP_ID", "1234")
    monkeypatch.setenv("IMPRIMATUR_META_APP_SECRET", "app-secret")
    monkeypatch.setenv("IMPRIMATUR_INSTAGRAM_BUSINESS_ACCOUNT_ID", "17841405309211844")
    settings = Settings()

    built = {name: get(name, settings) for name in ("x", "facebook", "instagram", "simulated")}

    assert isinstance(built["x"], XConnector)
    assert isinstance(built["facebook"], FacebookConnector)
    assert isinstance(built["instagram"], InstagramConnector)
    assert isinstance(built["simulated"], SimulatedConnector)
    assert all(isinstance(connector, Connector) for connector in built.values())
    assert isinstance(get(Platform.x, settings), XConnector)
    assert get("x", settings) is not built["x"]  # a fresh instance: its own api_calls
    assert connectors.configured(settings) == ["x", "facebook", "instagram"]
    assert {c.name: c.max_lookup_batch for c in built.values()} == {
        "x": 100,
        "facebook": 50,
        "instagram": 50,
        "simulated": 100,
    }


def test_the_demo_serves_unconfigured_platforms_from_the_simulation() -> None:
    settings = Settings(demo=True)

    connector = get("tiktok", settings)

    assert isinstance(connector, SimulatedConnector)
    assert connector.platform is Platform.tiktok
    with pytest.raises(ConnectorNotConfigured):
        get("myspace", settings)


def test_every_registered_factory_is_a_module_of_its_own() -> None:
    assert set(connectors.FACTORIES) == {"x", "facebook", "instagram", "simulated"}


def test_credentials_never_show_their_secrets() -> None:
    credentials = Credentials(
        "EAAB-page-token",
        "oauth-secret",
        account_platform_id="104838712345",
        extra={"refresh_token": "refresh-secret"},
    )

    shown = f"{credentials!r} {credentials}"

    for secret in ("EAAB-page-token", "oauth-secret", "refresh-secret"):
        assert secret not in shown
    assert "104838712345" in shown and "refresh_token" in shown
