"""Settings from the environment (``KEYLEDGER_`` prefix). Only the composition roots (this package) read
them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEYLEDGER_", extra="ignore")

    data_dir: Path = Path(".keyledger")
    database_url: str | None = None
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=30, ge=0, le=500)
    db_connect_timeout_s: int = Field(default=5, ge=1, le=60)
    db_lock_timeout_s: int = Field(default=5, ge=1, le=60)
    redis_url: str | None = None
    trusted_proxies: list[str] = Field(
        default_factory=list, description="CIDRs whose X-Forwarded-For is believed"
    )
    login_limit: str = Field(
        default="10/300", pattern=r"^[1-9][0-9]*/[1-9][0-9]*$", description="count/seconds"
    )
    api_limit: str = Field(default="200/60", pattern=r"^[1-9][0-9]*/[1-9][0-9]*$")
    download_limit: str = Field(default="20/3600", pattern=r"^[1-9][0-9]*/[1-9][0-9]*$")
    nats_url: str | None = None
    issuer: str = "keyledger"
    insecure_dev_cookies: bool = False
    public_origin: str | None = Field(
        default=None,
        pattern=r"^https?://[^/\s]+$",
        description="e.g. https://licensing.example.com, behind a proxy",
    )
    inprocess_workers: bool = False
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    hash_concurrency: int = Field(default=4, ge=1, le=64)  # hashes waiting or running; beyond: 503 busy
    hash_workers: int | None = Field(default=None, ge=1, le=64)  # hashing processes; none: cores - 1
    argon2_memory_kib: int = Field(default=65_536, ge=8_192)  # chosen by tests/bench/w7_passwords.py
    argon2_time_cost: int = Field(default=1, ge=1)  # see docs/passwords.md
    argon2_parallelism: int = Field(default=1, ge=1)
    ledger_origin: str = Field(default="keyledger.local/ledger", pattern=r"^[^\s+]+$")
    checkpoint_signer_key: SecretStr | None = None
    metrics_allow: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"],
        description="CIDRs that may read /metrics without the token",
    )
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    webhook_allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs webhooks may call although private, loopback or link-local (default: none)",
    )
    smtp_url: SecretStr | None = Field(default=None, description="smtp[+starttls]://[user:pass@]host[:port]")
    alert_email_from: str = "keyledger@localhost"
    alert_email_to: list[str] = Field(default_factory=list, description="admin addresses alerts go to")
    blob_store: Literal["local", "s3"] = "local"  # release files: <data dir>/blobs, or S3
    s3_endpoint_url: str | None = Field(default=None, description="unset: AWS; else MinIO, Ceph, R2, ...")
    s3_bucket: str | None = None
    s3_prefix: str = Field(default="releases/", pattern=r"^[A-Za-z0-9._/-]{0,100}$")
    max_upload_bytes: int = Field(default=8 * 1024**3, ge=1024, description="per release upload")
    grant_lifetime_s: int = Field(default=86_400, ge=60, le=30 * 86_400, description="a download's grant")
    personal_data_retention_days: int = Field(
        default=90, ge=1, le=3650, description="days a day key (personal data of no account) is kept"
    )
