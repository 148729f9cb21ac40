"""facebook-sdk's GraphAPI, shared by the Facebook and Instagram connectors.

facebook-sdk 3.1.0 validates `version=` in its constructor against a list that ends at 3.1
(retired in 2020) but only uses `self.version` to prefix each path. `Graph.client` is the one
place that builds a GraphAPI: without `version=`, then with our configured version set on the
instance. `meta_graph_version` defaults to v25.0 (available until July 2028).

Graph API errors become ours in `translate`: throttling codes raise `RateLimited` with a
retry time taken from the usage headers' `estimated_time_to_regain_access` (minutes), or one
minute from now when Meta gives none.
"""

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import facebook  # type: ignore[import-untyped]
import requests

from connectors.base import (
    AuthError,
    ConnectorError,
    ConnectorNotConfigured,
    Credentials,
    NotFound,
    PermissionMissing,
    PlatformError,
    Profile,
    PublishRequest,
    RateLimited,
    same_text,
)
from connectors.http import CountingSession
from service import clock
from service.settings import Settings
from workflows.platforms import Platform

THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
AUTH_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})
NOT_FOUND = frozenset({(100, 33), (803, None), (110, 2207013)})  # (code, subcode or any)
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-ad-account-usage")
DEFAULT_WAIT = timedelta(seconds=60)
MAX_BATCH = 50


def graph_version(configured: str) -> str:
    """`v25.0` or `25.0` → `v25.0`."""
    if not re.fullmatch(r"v?\d+\.\d+", configured):
        raise ValueError(f"not a Graph API version: {configured!r} (expected e.g. v25.0)")
    return configured if configured.startswith("v") else f"v{configured}"


class Graph:
    def __init__(
        self, platform: str, *, version: str, timeout: float, app_secret: str | None = None
    ) -> None:
        self.platform = platform
        self.version = graph_version(version)
        self.session = CountingSession(timeout)
        self._timeout = timeout
        self._app_secret = app_secret

    def client(self, token: str) -> Any:
        api = facebook.GraphAPI(access_token=token, timeout=self._timeout, session=self.session)
        api.version = self.version  # the constructor would refuse anything newer than 3.1
        return api

    def get(self, token: str, path: str, feature: str, **args: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._request(token, path, feature, args=args)
        return body

    def post(
        self, token: str, path: str, feature: str, files: Any = None, **data: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = self._request(token, path, feature, post_args=data, files=files)
        return body

    def delete(self, token: str, path: str, feature: str) -> None:
        self._request(token, path, feature, args={}, method="DELETE")

    def batch_get(
        self, token: str, relative_urls: Sequence[str], feature: str
    ) -> list[dict[str, Any] | ConnectorError]:
        """One `POST /vX/?batch=` of up to 50 GETs; each answer is a body or our error."""
        if len(relative_urls) > MAX_BATCH:
            raise ValueError(f"a Graph API batch holds at most {MAX_BATCH} requests")
        batch = [{"method": "GET", "relative_url": f"{self.version}/{u}"} for u in relative_urls]
        answers = self._request(
            token,
            "",
            feature,
            post_args={"batch": json.dumps(batch), "include_headers": "false"},
        )
        response = self.session.last_response
        headers = response.headers if response is not None else {}
        results: list[dict[str, Any] | ConnectorError] = []
        for answer in answers:
            if answer is None:  # Meta drops requests that did not finish in time
                results.append(PlatformError(self.platform, "batch item timed out", retryable=True))
                continue
            body = json.loads(answer.get("body") or "{}")
            if answer.get("code") == 200 and "error" not in body:
                results.append(body)
            else:
                error = facebook.GraphAPIError(body)
                results.append(
                    translate(self.platform, error, feature, answer.get("code"), headers)
                )
        return results

    def _request(
        self,
        token: str,
        path: str,
        feature: str,
        *,
        args: dict[str, Any] | None = None,
        post_args: dict[str, Any] | None = None,
        files: Any = None,
        method: str | None = None,
    ) -> Any:
        if post_args is None:
            args = params = dict(args or {})
        else:
            params = post_args
        if self._app_secret:
            params["appsecret_proof"] = hmac.new(
                self._app_secret.encode(), token.encode(), hashlib.sha256
            ).hexdigest()
        api = self.client(token)
        with self._errors(feature):
            return api.request(
                f"{self.version}/{path}", args=args, post_args=post_args, files=files, method=method
            )

    @contextmanager
    def _errors(self, feature: str) -> Iterator[None]:
        try:
            yield
        except facebook.GraphAPIError as error:
            response = self.session.last_response
            status = response.status_code if response is not None else None
            headers = response.headers if response is not None else {}
            raise translate(self.platform, error, feature, status, headers) from error
        except requests.RequestException as error:
            # str(error) can hold the URL and with it the access token: name the kind only.
            message = f"network error ({type(error).__name__})"
            raise PlatformError(self.platform, message, retryable=True) from error
        except (KeyError, ValueError) as error:  # a reply facebook-sdk could not read
            response = self.session.last_response
            status = response.status_code if response is not None else None
            retryable = status is None or status >= 500
            message = f"unreadable Graph API response (HTTP {status})"
            raise PlatformError(
                self.platform, message, status=status, retryable=retryable
            ) from error


def translate(
    platform: str,
    error: Any,
    feature: str,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> ConnectorError:
    """A `facebook.GraphAPIError` (code, error_subcode, is_transient) in our terms."""
    result = error.result if isinstance(error.result, dict) else {}
    detail = result.get("error")
    detail = detail if isinstance(detail, dict) else {}
    code = error.code
    subcode = detail.get("error_subcode")
    message = str(error.message)[:500]
    if code in THROTTLE_CODES:
        return RateLimited(platform, message, retry_at(headers or {}))
    if code in AUTH_CODES:
        return AuthError(platform, message)
    if code in PERMISSION_CODES:
        return PermissionMissing(platform, feature, message)
    if (code, subcode) in NOT_FOUND or (code, None) in NOT_FOUND:
        return NotFound(platform, message)
    retryable = bool(detail.get("is_transient")) or code in TRANSIENT_CODES
    retryable = retryable or (status is not None and status >= 500)
    return PlatformError(platform, message, status=status, retryable=retryable)


def retry_at(headers: Mapping[str, str]) -> datetime:
    minutes = [0]
    for name in USAGE_HEADERS:
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        minutes.extend(_regain_minutes(usage))
    wait = timedelta(minutes=max(minutes)) if max(minutes) > 0 else DEFAULT_WAIT
    return clock.now() + wait


def _regain_minutes(usage: Any) -> Iterator[int]:
    if isinstance(usage, dict):
        for key, value in usage.items():
            if key == "estimated_time_to_regain_access" and isinstance(value, int | float):
                yield int(value)
            else:
                yield from _regain_minutes(value)
    elif isinstance(usage, list):
        for item in usage:
            yield from _regain_minutes(item)


def graph_from_settings(settings: Settings, name: str) -> tuple[Graph, str]:
    secret = settings.meta_app_secret.get_secret_value() if settings.meta_app_secret else None
    if settings.meta_app_token is not None:
        token = settings.meta_app_token.get_secret_value()
    elif settings.meta_app_id and secret:
        token = f"{settings.meta_app_id}|{secret}"
    else:
        raise ConnectorNotConfigured(
            name, "set IMPRIMATUR_META_APP_TOKEN, or IMPRIMATUR_META_APP_ID and _APP_SECRET"
        )
    graph = Graph(
        name,
        version=settings.meta_graph_version,
        timeout=settings.connector_timeout_seconds,
        app_secret=secret,
    )
    return graph, token


class GraphConnector:
    """What the Facebook and Instagram connectors share: a Graph, a read token, bookkeeping."""

    name: str
    platform: Platform
    max_lookup_batch = MAX_BATCH

    def __init__(self, *, graph: Graph, read_token: str) -> None:
        self._graph = graph
        self._read_token = read_token
        self._denied: set[str] = set()

    @property
    def api_calls(self) -> int:
        return self._graph.session.calls

    @property
    def denied_features(self) -> frozenset[str]:
        return frozenset(self._denied)

    def _collect(
        self,
        answers: Sequence[dict[str, Any] | ConnectorError],
        parse: Callable[[dict[str, Any]], Profile],
    ) -> list[Profile]:
        profiles: list[Profile] = []
        for answer in answers:
            if isinstance(answer, NotFound):
                continue
            if isinstance(answer, PlatformError) and not answer.retryable:
                continue  # e.g. a handle naming a person, not a Page: not a candidate
            if isinstance(answer, ConnectorError):
                self._note(answer)
                raise answer
            profiles.append(parse(answer))
        return profiles

    def _note(self, error: ConnectorError) -> None:
        if isinstance(error, PermissionMissing):
            self._denied.add(error.feature)

    def _account(self, credentials: Credentials) -> str:
        if not credentials.account_platform_id:
            raise PlatformError(self.name, "credentials lack the account's platform id")
        return credentials.account_platform_id

    def _read(self, path: str, feature: str, **args: Any) -> dict[str, Any]:
        """An app-token read; a refused feature is remembered in `denied_features`."""
        try:
            return self._graph.get(self._read_token, path, feature, **args)
        except ConnectorError as error:
            self._note(error)
            raise

    @staticmethod
    def _newest_time(items: Sequence[Mapping[str, Any]], time_key: str) -> datetime | None:
        times = [datetime.fromisoformat(item[time_key]) for item in items if item.get(time_key)]
        return max(times, default=None)

    @staticmethod
    def _oldest_match(
        items: Sequence[Mapping[str, Any]], text_key: str, time_key: str, post: PublishRequest
    ) -> Mapping[str, Any] | None:
        matches = [
            item
            for item in items
            if same_text(item.get(text_key) or "", post.text)
            and (
                post.not_before is None or datetime.fromisoformat(item[time_key]) >= post.not_before
            )
        ]
        return min(matches, key=lambda item: str(item[time_key])) if matches else None
