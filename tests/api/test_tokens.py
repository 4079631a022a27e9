"""Desktop access tokens under attack: forged, stale or misused tokens all get one generic 401; the JWKS
document publishes the key that verifies the genuine ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.tokens import ACCESS_AUDIENCE, REQUIRED
from tests.api.harness import Api, license_status, licensed_client, services_of

GENERIC = {"status": 401, "code": "invalid_token", "detail": "the access token is not valid"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


def claims_of(token: str) -> dict[str, Any]:
    """A token's claims, read without checking anything."""
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def sign(api: Api, claims: dict[str, Any], **header: Any) -> str:
    """Signs ``claims`` with the server's own key (so only the claims can be wrong)."""
    key = services_of(api).tokens.key
    return jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid, **header})


def hs256(claims: dict[str, Any], kid: str, secret: bytes) -> str:
    head = segment({"alg": "HS256", "typ": "JWT", "kid": kid})
    signing_input = f"{head}.{segment(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


# Each forgery takes the harness and a licensed client's login answer, and returns the token to present.
Forgery = Callable[[Api, dict[str, Any]], str]


def alg_none(api: Api, tokens: dict[str, Any]) -> str:
    kid = services_of(api).tokens.key.kid
    return (
        f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{segment(claims_of(tokens['access_token']))}."
    )


def hs256_with_public_key(api: Api, tokens: dict[str, Any]) -> str:
    key = services_of(api).tokens.key
    return hs256(claims_of(tokens["access_token"]), key.kid, key.public.public_bytes_raw())


def hs256_with_public_pem(api: Api, tokens: dict[str, Any]) -> str:
    key = services_of(api).tokens.key
    pem = key.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hs256(claims_of(tokens["access_token"]), key.kid, pem)


def expired(api: Api, tokens: dict[str, Any]) -> str:
    api.clock.advance(minutes=15)
    return str(tokens["access_token"])


def future_nbf(api: Api, tokens: dict[str, Any]) -> str:
    claims = claims_of(tokens["access_token"])
    return sign(api, {**claims, "nbf": claims["nbf"] + 60})


def wrong_audience(api: Api, tokens: dict[str, Any]) -> str:
    return sign(api, {**claims_of(tokens["access_token"]), "aud": "someone-else"})


def wrong_issuer(api: Api, tokens: dict[str, Any]) -> str:
    return sign(api, {**claims_of(tokens["access_token"]), "iss": "https://evil.example"})


def tampered_payload(_api: Api, tokens: dict[str, Any]) -> str:
    head, _, signature = str(tokens["access_token"]).split(".")
    claims = {**claims_of(tokens["access_token"]), "exp": claims_of(tokens["access_token"])["exp"] + 86_400}
    return f"{head}.{segment(claims)}.{signature}"


def other_signing_key(api: Api, tokens: dict[str, Any]) -> str:
    kid = services_of(api).tokens.key.kid
    return jwt.encode(
        claims_of(tokens["access_token"]),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": kid},
    )


def lease_as_access(api: Api, tokens: dict[str, Any]) -> str:
    beat = api.client.post("/client/heartbeat", json={}, headers=api.bearer(tokens))
    assert beat.status_code == 200, beat.text
    return str(beat.json()["lease"])


def lease_typ_with_access_audience(api: Api, tokens: dict[str, Any]) -> str:
    return sign(api, {**claims_of(tokens["access_token"]), "typ": "lease"})


def refresh_as_access(_api: Api, tokens: dict[str, Any]) -> str:
    return str(tokens["refresh_token"])


def unknown_kid(api: Api, tokens: dict[str, Any]) -> str:
    return sign(api, claims_of(tokens["access_token"]), kid="retired-key")


def no_kid(api: Api, tokens: dict[str, Any]) -> str:
    key = services_of(api).tokens.key
    return jwt.encode(claims_of(tokens["access_token"]), key.private, algorithm="EdDSA")


def sub_of_another_session(api: Api, tokens: dict[str, Any]) -> str:
    other = licensed_client(api, "mallory")
    return sign(api, {**claims_of(tokens["access_token"]), "sub": claims_of(other["access_token"])["sub"]})


def missing(claim: str) -> Forgery:
    def forge(api: Api, tokens: dict[str, Any]) -> str:
        claims = claims_of(tokens["access_token"])
        del claims[claim]
        return sign(api, claims)

    forge.__name__ = f"missing_{claim}"
    return forge


FORGERIES: list[Forgery] = [
    alg_none,
    hs256_with_public_key,
    hs256_with_public_pem,
    expired,
    future_nbf,
    wrong_audience,
    wrong_issuer,
    tampered_payload,
    other_signing_key,
    lease_as_access,
    lease_typ_with_access_audience,
    refresh_as_access,
    unknown_kid,
    no_kid,
    sub_of_another_session,
    *(missing(claim) for claim in REQUIRED),
]
GARBAGE = ["garbage", "a.b.c", "...", "eyJ.eyJ.", "e30.e30.e30", "x" * 4000, "ünïcödé.tök.én"]


def assert_generic(response: httpx2.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="keyledger"'
    body = response.json()
    assert {k: body[k] for k in GENERIC} == GENERIC
    assert set(body) == {"type", "title", "status", "detail", "code", "instance", "request_id"}


def test_forged_or_misused_token_gets_the_generic_401(api: Api, subtests: pytest.Subtests) -> None:
    """Every forged, stale or misused access token is refused with the same generic invalid_token body."""
    licensed_client(api, "carol")
    for forge in FORGERIES:
        with subtests.test(forge.__name__):
            tokens = api.client_login("carol")
            assert license_status(api, tokens).status_code == 200
            bearer = {"Authorization": f"Bearer {forge(api, tokens)}"}
            assert_generic(api.client.get("/client/license", headers=bearer))
            assert_generic(api.client.post("/client/heartbeat", json={}, headers=bearer))


def test_garbage_tokens_get_the_generic_401(api: Api) -> None:
    """Strings that are not JWTs at all get the same generic invalid_token body as forgeries."""
    for token in GARBAGE:
        header = f"Bearer {token}".encode()
        assert_generic(api.client.get("/client/license", headers={b"Authorization": header}))


def test_untouched_token_is_accepted_until_it_expires(api: Api) -> None:
    """The control case: the genuine token works up to the last second of its 15 minutes."""
    tokens = licensed_client(api, "carol")
    claims = claims_of(tokens["access_token"])
    assert claims["aud"] == ACCESS_AUDIENCE
    assert claims["exp"] - claims["iat"] == 15 * 60 == tokens["expires_in"]
    api.clock.advance(minutes=14, seconds=59)
    assert license_status(api, tokens).status_code == 200
    api.clock.advance(seconds=1)
    assert_generic(license_status(api, tokens))


def test_missing_bearer_is_missing_token(api: Api) -> None:
    """No Authorization header (or another scheme) is 401 missing_token."""
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = api.client.get("/client/license", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "missing_token"


def test_jwks_publishes_the_signing_key(api: Api) -> None:
    """/.well-known/jwks.json holds one public Ed25519 OKP key whose kid is the tokens' kid, and it
    verifies an access token."""
    tokens = licensed_client(api, "carol")
    keys = api.client.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    jwk = keys[0]
    assert {k: jwk[k] for k in ("kty", "crv", "alg", "use")} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "use": "sig",
    }
    assert "d" not in jwk
    assert len(base64.urlsafe_b64decode(jwk["x"] + "==")) == 32
    assert jwk["kid"] == jwt.get_unverified_header(tokens["access_token"])["kid"]
    claims = jwt.decode(
        tokens["access_token"],
        jwt.PyJWK(jwk).key,
        algorithms=["EdDSA"],
        audience=ACCESS_AUDIENCE,
        issuer="keyledger",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert claims["sid"] == tokens["session_id"]
    assert claims["did"] == tokens["device_id"]
    assert claims["typ"] == "access"
