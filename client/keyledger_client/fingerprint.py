"""The device fingerprint: stable hardware and OS identifiers per platform, each hashed with the
application's salt before it leaves the machine.

Never a MAC address, never a random fallback: a component that cannot be read (no permission, no such
file, a placeholder value such as "To be filled by O.E.M.") is left out and the others still identify the
device; the server treats a login as the same device when strictly more than 70% of the components agree.
Readers are plain callables, so tests (and unusual platforms) can inject their own."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from keyledger_client.errors import NoDeviceIdentity

log = logging.getLogger("keyledger_client.fingerprint")

Reader = Callable[[], str | None]
Readers = Mapping[str, Reader]
SALT_CONTEXT = b"keyledger-client fingerprint v1\x00"
COMMAND_TIMEOUT_S = 5.0
PLACEHOLDERS = frozenset(
    {
        "",
        "none",
        "unknown",
        "default string",
        "to be filled by o.e.m.",
        "not applicable",
        "not specified",
        "system serial number",
        "0",
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "03000200-0400-0500-0006-000700080009",
    }
)


def application_salt(app_id: str) -> bytes:
    """The salt of one application: two vendors' apps never send the same digests for one machine."""
    return hashlib.sha256(SALT_CONTEXT + app_id.encode()).digest()


def normalized(raw: str | None) -> str | None:
    """Trimmed and lowercased; placeholders and empty values count as unreadable."""
    if raw is None:
        return None
    value = " ".join(raw.split()).lower()
    return None if value in PLACEHOLDERS else value


def read_components(readers: Readers) -> dict[str, str]:
    """The readable components; a reader that fails is logged and left out."""
    found: dict[str, str] = {}
    for name, reader in readers.items():
        try:
            value = normalized(reader())
        except (OSError, ValueError, subprocess.SubprocessError) as error:
            log.debug("fingerprint component %s unreadable: %s", name, type(error).__name__)
            continue
        if value is not None:
            found[name] = value
    return found


def hash_components(components: Mapping[str, str], salt: bytes) -> dict[str, str]:
    """HMAC-SHA256 of ``name=value`` under the application salt, as lowercase hex."""
    return {
        name: hmac.new(salt, f"{name}={value}".encode(), hashlib.sha256).hexdigest()
        for name, value in sorted(components.items())
    }


def fingerprint(salt: bytes, readers: Readers | None = None) -> dict[str, str]:
    """The salted fingerprint of this machine (``{"components": ...}`` in the login body)."""
    components = read_components(readers if readers is not None else platform_readers())
    if not components:
        raise NoDeviceIdentity("no hardware identifier of this machine is readable")
    return hash_components(components, salt)


def platform_readers(platform: str = sys.platform) -> dict[str, Reader]:
    """The component readers of ``platform`` (a ``sys.platform`` value)."""
    if platform.startswith("linux"):
        return linux_readers()
    if platform == "darwin":
        return macos_readers()
    if platform == "win32":
        return windows_readers()
    return {"machine_id": lambda: first_file("/etc/machine-id", "/var/lib/dbus/machine-id")}


def first_file(*paths: str) -> str | None:
    for path in paths:
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
    return None


def cpu_model_linux(cpuinfo: str = "/proc/cpuinfo") -> str | None:
    text = first_file(cpuinfo) or ""
    for key in ("model name", "hardware", "processor", "cpu model", "cpu"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", text, re.MULTILINE | re.IGNORECASE)
        if match and not match.group(1).strip().isdigit():
            return match.group(1)
    return None


def linux_readers() -> dict[str, Reader]:
    dmi = "/sys/class/dmi/id/"
    return {
        "machine_id": lambda: first_file("/etc/machine-id", "/var/lib/dbus/machine-id"),
        "product_uuid": lambda: first_file(dmi + "product_uuid"),
        "board_serial": lambda: first_file(dmi + "board_serial"),
        "cpu_model": cpu_model_linux,
    }


def command_output(*argv: str) -> str:
    """The output of a fixed system command (absolute path, no shell)."""
    done = subprocess.run(  # noqa: S603 -- fixed absolute command lines, no shell, no user input
        argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=True
    )
    return done.stdout


def ioreg_value(key: str) -> str | None:
    text = command_output("/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice")
    match = re.search(rf'"{key}"\s*=\s*"([^"]*)"', text)
    return match.group(1) if match else None


def macos_readers() -> dict[str, Reader]:
    return {
        "platform_uuid": lambda: ioreg_value("IOPlatformUUID"),
        "platform_serial": lambda: ioreg_value("IOPlatformSerialNumber"),
        "model": lambda: command_output("/usr/sbin/sysctl", "-n", "hw.model"),
        "cpu_model": lambda: command_output("/usr/sbin/sysctl", "-n", "machdep.cpu.brand_string"),
    }


def windows_registry(path: str, name: str) -> str | None:
    if sys.platform != "win32":
        return None
    import winreg  # noqa: PLC0415 -- exists only on Windows

    with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, path, 0, winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as key:
        value, _ = winreg.QueryValueEx(key, name)
    return str(value)


def windows_cim(cls: str, prop: str) -> str:
    powershell = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
    query = f"(Get-CimInstance {cls}).{prop}"
    return command_output(powershell, "-NoProfile", "-NonInteractive", "-Command", query)


def windows_readers() -> dict[str, Reader]:
    cpu = r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
    return {
        "machine_guid": lambda: windows_registry(r"SOFTWARE\Microsoft\Cryptography", "MachineGuid"),
        "baseboard_serial": lambda: windows_cim("Win32_BaseBoard", "SerialNumber"),
        "system_uuid": lambda: windows_cim("Win32_ComputerSystemProduct", "UUID"),
        "cpu_model": lambda: windows_registry(cpu, "ProcessorNameString"),
    }
