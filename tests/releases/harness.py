"""Givens for the release tests: an admin session that publishes through the HTTP API, and desktop clients
with their own device keys and licenses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from keyledger_client.hybrid_device_keys import HybridDeviceKey

from domain.roles import Role
from tests.api.harness import COMPONENTS, Api, issue_key, services_of, web_session
from tests.file_format import DeviceKey

RELEASE = {"channel": "stable", "platform": "linux-x86_64", "version": "1.4.0", "notes": "first"}


@dataclass
class Device:
    """A desktop client: its login answer and its device's private key."""

    tokens: dict[str, Any]
    key: DeviceKey

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    @property
    def device_id(self) -> str:
        return str(self.tokens["device_id"])


def admin(api: Api, username: str = "root") -> dict[str, str]:
    """A new admin's web session headers (cookie and CSRF token)."""
    api.create_account(username, Role.ADMIN)
    return web_session(api, username)


def publish(api: Api, headers: dict[str, str], files: dict[str, bytes], **fields: str) -> Any:
    """POST /admin/releases as a multipart form: ``RELEASE``'s fields (overridden by ``fields``), then
    one ``file`` part per file."""
    data = {**RELEASE, **fields}
    parts = [("file", (name, content, "application/octet-stream")) for name, content in files.items()]
    return api.client.post("/admin/releases", data=data, files=parts, headers=headers)


def published(api: Api, headers: dict[str, str], files: dict[str, bytes], **fields: str) -> dict[str, Any]:
    response = publish(api, headers, files, **fields)
    assert response.status_code == 201, response.text
    release: dict[str, Any] = response.json()["release"]
    services_of(api).reads.wait_for(response.json()["position"])
    return release


def device(
    api: Api,
    username: str,
    *,
    tier: Role = Role.USER,
    hybrid: bool = False,
    license_days: int | None = 30,
    components: dict[str, str] | None = None,
) -> Device:
    """A new account whose client logged in with a device key and (unless ``license_days`` is None)
    activated a license of ``tier``."""
    api.create_account(username)
    key: DeviceKey
    if hybrid:
        pair = HybridDeviceKey.generate()
        key, public, suite = pair.private, pair.public_hex, "MLKEM768_X25519"
    else:
        classic = X25519PrivateKey.generate()
        key, public, suite = classic, classic.public_key().public_bytes_raw().hex(), "X25519"
    tokens = api.client_login(username, components or COMPONENTS, public_key=public, public_key_suite=suite)
    found = Device(tokens, key)
    if license_days is not None:
        _, license_key = issue_key(api, days=license_days, tier=tier)
        answer = api.client.post(
            "/client/licenses/activate", json={"key": license_key}, headers=found.headers
        )
        assert answer.status_code == 200, answer.text
    return found


def grant(api: Api, client: Device, release: dict[str, Any], index: int = 0) -> Any:
    file_id = release["files"][index]["id"]
    return api.client.post(f"/client/releases/{release['id']}/files/{file_id}/grants", headers=client.headers)


def granted(api: Api, client: Device, release: dict[str, Any], index: int = 0) -> dict[str, Any]:
    response = grant(api, client, release, index)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def fetch(
    api: Api, client: Device, grant_answer: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    return api.client.get(grant_answer["url"], headers={**client.headers, **(headers or {})})
