"""The HTTP session Twilio's client sends on. requests works out the proxy, CA bundle and other
settings from the environment for every request, reading the whole environment twice: a fifth of
a send's CPU (cProfile, 1,000 sends to a local fake: 0.94 ms a send, 0.77 ms without). This
session works them out once for each host it calls (the API's, the Content API's, an edge's),
as requests would, and keeps them: a process's environment does not change while it runs.

Imported only where a Twilio client is made: requests is slow to import for a CLI command."""

from typing import Any
from urllib.parse import urlsplit

import requests


class OnceSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.from_environment: dict[tuple[str, str], dict[str, Any]] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if proxies or stream is not None or verify is not None or cert is not None or not url:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url if isinstance(url, str) else url.decode())
        key = (parts.scheme, parts.netloc)
        if key not in self.from_environment:
            self.from_environment[key] = super().merge_environment_settings(url, {}, None, None, None)
        found = self.from_environment[key]
        return {**found, "proxies": dict(found["proxies"])}  # a copy: requests may change it
