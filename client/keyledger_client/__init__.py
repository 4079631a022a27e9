"""Keyledger desktop SDK: log in, bind this device, keep the license valid with heartbeats and signed
leases (offline grace included), witness the ledger, run the vendor's signed Lua plugins in a sandbox,
and report crashes. Build one ``KeyledgerClient`` (and install the crash handler first thing);
everything it raises is a ``KeyledgerError`` (the tree is drawn in ``keyledger_client.errors``)."""

from __future__ import annotations

from keyledger_verifier import (
    BadSignature,
    Checkpoint,
    CompactRange,
    Leaf,
    MalformedCheckpoint,
    MalformedLeaf,
    ProofError,
    VerificationError,
    VerifierKey,
    decode_leaf,
    encode_leaf,
    leaf_hash,
    node_hash,
    open_checkpoint,
    parse_verifier_key,
    verify_consistency,
    verify_inclusion,
)

from keyledger_client.client import Activation, KeyledgerClient
from keyledger_client.crash_handler import CrashHandler, install_crash_handler
from keyledger_client.crash_reports import CrashReport
from keyledger_client.errors import (
    AccessRefused,
    AccountBanned,
    AuthenticationError,
    DeviceLimitReached,
    InvalidCredentials,
    KeyledgerError,
    KeyringUnavailable,
    LeaseRejected,
    LicenseKeyRejected,
    NoDeviceIdentity,
    NotLoggedIn,
    PluginBudgetExceeded,
    PluginError,
    PluginFailed,
    PluginMalformed,
    PluginMemoryExceeded,
    PluginNotEntitled,
    PluginNotFound,
    PluginRefused,
    PluginRuntimeError,
    PluginSignatureRejected,
    PluginTimeout,
    ProblemError,
    RateLimited,
    ServerBusy,
    ServerUnreachable,
    SessionEnded,
    UnexpectedResponse,
    WitnessAlarm,
)
from keyledger_client.fingerprint import application_salt, platform_readers
from keyledger_client.plugin_api import ConfigValue
from keyledger_client.plugin_bundle import Plugin, open_bundle, sign_bundle
from keyledger_client.plugin_manifest import Manifest
from keyledger_client.plugin_sources import FolderSource, PluginSource
from keyledger_client.plugins import PluginInfo, Plugins
from keyledger_client.sandbox import PluginLimits
from keyledger_client.session import LoginResult
from keyledger_client.types import Callbacks, Clock, LicenseStatus, PluginNotice, SystemClock
from keyledger_client.version import VERSION

__version__ = VERSION
__all__ = [
    "AccessRefused",
    "AccountBanned",
    "Activation",
    "AuthenticationError",
    "BadSignature",
    "Callbacks",
    "Checkpoint",
    "Clock",
    "CompactRange",
    "ConfigValue",
    "CrashHandler",
    "CrashReport",
    "DeviceLimitReached",
    "FolderSource",
    "InvalidCredentials",
    "KeyledgerClient",
    "KeyledgerError",
    "KeyringUnavailable",
    "Leaf",
    "LeaseRejected",
    "LicenseKeyRejected",
    "LicenseStatus",
    "LoginResult",
    "MalformedCheckpoint",
    "MalformedLeaf",
    "Manifest",
    "NoDeviceIdentity",
    "NotLoggedIn",
    "Plugin",
    "PluginBudgetExceeded",
    "PluginError",
    "PluginFailed",
    "PluginInfo",
    "PluginLimits",
    "PluginMalformed",
    "PluginMemoryExceeded",
    "PluginNotEntitled",
    "PluginNotFound",
    "PluginNotice",
    "PluginRefused",
    "PluginRuntimeError",
    "PluginSignatureRejected",
    "PluginSource",
    "PluginTimeout",
    "Plugins",
    "ProblemError",
    "ProofError",
    "RateLimited",
    "ServerBusy",
    "ServerUnreachable",
    "SessionEnded",
    "SystemClock",
    "UnexpectedResponse",
    "VerificationError",
    "VerifierKey",
    "WitnessAlarm",
    "application_salt",
    "decode_leaf",
    "encode_leaf",
    "install_crash_handler",
    "leaf_hash",
    "node_hash",
    "open_bundle",
    "open_checkpoint",
    "parse_verifier_key",
    "platform_readers",
    "sign_bundle",
    "verify_consistency",
    "verify_inclusion",
]
