"""The HTTP session every connector hands to its client library.

Both tweepy and facebook-sdk accept a `requests.Session`; giving them this one means every
request gets a timeout, is counted (scans report and budget API calls), and leaves its
response behind so a connector can read rate-limit headers the library does not expose.
"""

from typing import Any

import requests


class CountingSession(requests.Session):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.calls = 0
        self.last_response: requests.Response | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        self.calls += 1
        self.last_response = None
        response = super().send(request, **kwargs)
        self.last_response = response
        return response
