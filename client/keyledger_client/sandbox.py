"""One plugin call in a fresh Lua 5.4 state (``lupa.lua54``): the sandbox of ``sandbox.lua``, with an
instruction budget and a wall-clock deadline checked by a count hook, and a memory cap enforced by
lupa's allocator. Whatever the plugin does ends as its result or a ``PluginFailed``; no Lua or Python
error escapes to the application, and no host object ever reaches Lua: values cross as Lua strings,
numbers, booleans and fresh tables, and host failures as messages."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import lupa.lua54 as lua  # type: ignore[import-untyped]  # lupa ships no type information

from keyledger_client.errors import (
    PluginBudgetExceeded,
    PluginFailed,
    PluginMalformed,
    PluginMemoryExceeded,
    PluginRuntimeError,
    PluginTimeout,
)
from keyledger_client.plugin_api import HostApi, HostRefusal, Scalar
from keyledger_client.plugin_bundle import Plugin

log = logging.getLogger("keyledger_client.plugins")

HOOK_EVERY = 10_000
MAX_RESULT_CHARS = 64 * 1024
BUDGET, TIMEOUT = b"instruction budget exhausted", b"wall-clock timeout"


@dataclass(frozen=True)
class PluginLimits:
    """Limits of one call. The timeout is checked between instructions: a single library call (sorting
    a table that fills the memory cap) can overrun it by a fraction of a second."""

    instructions: int = 10_000_000
    memory_bytes: int = 64 * 1024 * 1024
    timeout_s: float = 2.0
    log_lines: int = 100
    notifications: int = 5

    def __post_init__(self) -> None:
        if self.instructions < 1 or self.memory_bytes < 1 or self.timeout_s <= 0:
            raise ValueError("plugin limits are positive: a zero would mean no limit at all")


class Meter:
    """Counts instructions and watches the deadline; the hook asks it every ``HOOK_EVERY`` instructions."""

    def __init__(self, limits: PluginLimits, monotonic: Callable[[], float]) -> None:
        self.limits, self.monotonic = limits, monotonic
        self.executed = 0
        self.deadline = monotonic() + limits.timeout_s
        self.stopped: bytes | None = None

    def __call__(self, executed: int) -> bytes | None:
        self.executed += executed
        if self.executed > self.limits.instructions:
            self.stopped = BUDGET
        elif self.monotonic() >= self.deadline:
            self.stopped = TIMEOUT
        return self.stopped


@cache
def bootstrap() -> bytes:
    """The sandbox's Lua source (``sandbox.lua``, shipped in the package)."""
    return resources.files("keyledger_client").joinpath("sandbox.lua").read_bytes()


def refuse_attributes(_obj: object, name: object, _is_setting: bool) -> str:
    raise AttributeError(f"no Python attribute {name!r:.40} in the plugin sandbox")


def new_runtime(limits: PluginLimits) -> Any:
    """A fresh Lua 5.4 state: bytes for strings (no decoding can fail on the way), no ``python.eval``, no
    builtins, every Python attribute refused, memory capped by lupa's allocator."""
    return lua.LuaRuntime(
        encoding=None,
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        attribute_filter=refuse_attributes,
        max_memory=limits.memory_bytes,
    )


def run_call(
    plugin: Plugin,
    entry: str,
    args: Sequence[Scalar],
    host: HostApi,
    limits: PluginLimits,
    monotonic: Callable[[], float] = time.monotonic,
) -> Scalar:
    """Runs ``entry`` of ``plugin`` (its top-level chunk first) in a fresh Lua state."""
    runtime, meter = new_runtime(limits), Meter(limits, monotonic)
    every = min(HOOK_EVERY, limits.instructions)
    try:
        compile_chunk, run = runtime.execute(
            bootstrap(), meter, every, *_api(runtime, host), name=b"=sandbox"
        )
        chunk, problem = compile_chunk(plugin.source, f"={plugin.name}".encode())
        if chunk is None:
            raise PluginMalformed(f"plugin {plugin.name} does not compile: {_text(problem)}")
        result = run(chunk, entry.encode(), *(_to_lua(runtime, arg) for arg in args))
    except lua.LuaError as error:
        raise _failure(plugin.name, entry, meter, error) from None
    return _result(plugin.name, entry, result)


def _api(runtime: Any, host: HostApi) -> tuple[Callable[..., tuple[Any, ...]], ...]:
    def config(key: bytes) -> Any:
        return _to_lua(runtime, host.config(_text(key)))

    def license_now() -> tuple[Any, ...]:
        return tuple(_to_lua(runtime, value) for value in host.license())

    def log_line(level: bytes, message: bytes) -> None:
        host.log(_text(level), _text(message))

    def notify(title: bytes, body: bytes) -> None:
        host.notify(_text(title), _text(body))

    return tuple(_guarded(f) for f in (log_line, notify, config, license_now))


def _guarded(f: Callable[..., Any]) -> Callable[..., tuple[Any, ...]]:
    """A host function as Lua calls it: ``true, results...`` or ``false, message``; never an exception."""

    def call(*args: Any) -> tuple[Any, ...]:
        try:
            result = f(*args)
        except HostRefusal as refusal:
            return False, str(refusal).encode()
        except MemoryError:
            return False, b"not enough memory"
        except Exception:
            log.exception("the plugin host failed")
            return False, b"the application could not answer"
        return (True, *result) if isinstance(result, tuple) else (True, result)

    return call


def _to_lua(runtime: Any, value: Any) -> Any:
    """Plain data as fresh Lua values: text as Lua strings, lists and mappings as new tables."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, Mapping):
        return runtime.table_from({_to_lua(runtime, k): _to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return runtime.table_from([_to_lua(runtime, item) for item in value])
    return value


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _failure(plugin: str, entry: str, meter: Meter, error: Exception) -> PluginFailed:
    if meter.stopped == BUDGET:
        return PluginBudgetExceeded(plugin, entry, f"more than {meter.limits.instructions} instructions")
    if meter.stopped == TIMEOUT:
        return PluginTimeout(plugin, entry, f"ran longer than {meter.limits.timeout_s} s")
    if isinstance(error, lua.LuaMemoryError):
        return PluginMemoryExceeded(plugin, entry, f"more than {meter.limits.memory_bytes} bytes of memory")
    message = str(error).strip().splitlines()[0] if str(error).strip() else "an error without a message"
    log.info("plugin %s.%s failed: %s", plugin, entry, error)
    return PluginRuntimeError(plugin, entry, message[:500])


def _result(plugin: str, entry: str, value: Any) -> Scalar:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")[:MAX_RESULT_CHARS]
    if value is None or isinstance(value, bool | int | float):
        return value
    raise PluginRuntimeError(plugin, entry, "an entry point returns nil, a boolean, a number or a string")
