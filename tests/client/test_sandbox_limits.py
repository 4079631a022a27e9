"""The limits of one plugin call: an instruction budget, a wall-clock timeout, a memory cap, bounded
recursion, and library calls that cannot loop for long in C. Every failure is a ``PluginFailed`` and
the host goes on."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keyledger_client import (
    PluginBudgetExceeded,
    PluginFailed,
    PluginMemoryExceeded,
    PluginRuntimeError,
    PluginTimeout,
)
from keyledger_client.sandbox import Meter, PluginLimits

from tests.client.vendor import Harness

FOREVER = "function main() while true do end end"


@pytest.mark.parametrize("source", [FOREVER, "while true do end", "function main() ::again:: goto again end"])
def test_an_infinite_loop_hits_the_budget_well_within_the_timeout(harness: Harness, source: str) -> None:
    """A busy loop (in an entry point or at the top level) stops once its instructions exceed the budget,
    long before the timeout."""
    started = time.monotonic()
    with pytest.raises(PluginBudgetExceeded, match="more than 1000000 instructions"):
        harness.run(source, instructions=1_000_000)
    assert time.monotonic() - started < PluginLimits().timeout_s


@pytest.mark.parametrize("limits", [{"instructions": 0}, {"memory_bytes": 0}, {"timeout_s": 0}])
def test_a_zero_limit_is_refused(limits: dict[str, float]) -> None:
    """A zero would switch the limit off in lupa or in the hook: it is refused."""
    with pytest.raises(ValueError, match="positive"):
        PluginLimits(**limits)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "source",
    [
        "function main() while true do pcall(function() while true do end end) end end",
        "function main() while true do xpcall(function() while true do end end, function() end) end end",
        "function main() while true do pcall(error) end end",
    ],
)
def test_catching_the_stop_does_not_help(harness: Harness, source: str) -> None:
    """The budget's stop cannot be caught: pcall and xpcall rethrow it."""
    with pytest.raises(PluginBudgetExceeded):
        harness.run(source, instructions=1_000_000)


def test_a_slow_plugin_hits_the_wall_clock_timeout(harness: Harness) -> None:
    """With a budget too large to matter, the wall-clock deadline stops the call."""
    started = time.monotonic()
    with pytest.raises(PluginTimeout):
        harness.run(FOREVER, instructions=10**15, timeout_s=0.3)
    assert 0.3 <= time.monotonic() - started < 1.5


def test_a_gibibyte_string_hits_the_memory_cap(harness: Harness) -> None:
    """Asking for 1 GiB fails at once with the memory cap; the host never allocates it."""
    with pytest.raises(PluginMemoryExceeded):
        harness.run("function main() return #string.rep('x', 1 << 30) end")


def test_growing_a_table_hits_the_memory_cap(harness: Harness) -> None:
    """Memory is capped whatever holds it: a table that grows without end stops at the cap."""
    source = "function main() local t = {} local i = 0 while true do i = i + 1; t[i] = {i} end end"
    with pytest.raises(PluginMemoryExceeded):
        harness.run(source, memory_bytes=4 * 1024 * 1024)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("local function f(n) return f(n + 1) + 1 end function main() return f(1) end", "stack overflow"),
        (
            "function main() return setmetatable({}, {__index = function(t, k) return t[k] end}).x end",
            "C stack overflow",
        ),
    ],
)
def test_deep_recursion_is_an_error_not_a_crash(harness: Harness, source: str, message: str) -> None:
    """Lua and C stack overflows are ordinary plugin errors; the host goes on."""
    with pytest.raises(PluginRuntimeError, match=message):
        harness.run(source)
    assert harness.run("function main() return 1 end") == 1


@pytest.mark.parametrize(
    "source",
    [
        "function main() return #string.rep('', math.maxinteger) end",
        "function main() return #string.rep('', math.maxinteger, '') end",
    ],
)
def test_repeating_nothing_returns_at_once(harness: Harness, source: str) -> None:
    """string.rep of an empty string (a C loop no hook can stop) returns at once."""
    started = time.monotonic()
    assert harness.run(source) == 0
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "source",
    [
        "return ('a'):rep(25):find(('a-'):rep(12) .. 'b')",
        "return ('a'):rep(1 << 20):find(('a'):rep(1 << 10) .. 'b', 1, true)",
        "local t = setmetatable({}, {__index = table.concat}) return table.concat(t, '', 1, math.maxinteger)",
        "local t = setmetatable({}, {__len = function() return math.maxinteger end}) table.insert(t, 1, 0)",
    ],
)
def test_library_calls_that_could_loop_in_c_are_refused(harness: Harness, source: str) -> None:
    """Patterns, oversized plain searches and table functions on tables with metatables are refused
    (their work happens in C, where neither the budget nor the timeout can stop it)."""
    started = time.monotonic()
    with pytest.raises(PluginRuntimeError, match=r"only plain searches|strings too long|without a metatable"):
        harness.run(f"function main() {source} end")
    assert time.monotonic() - started < 1


def test_finalizers_are_refused(harness: Harness) -> None:
    """__gc would run plugin code after the call: setmetatable refuses it."""
    with pytest.raises(PluginRuntimeError, match="__gc"):
        harness.run("function main() setmetatable({}, {__gc = function() while true do end end}) end")


def test_an_error_of_any_shape_is_reported(harness: Harness) -> None:
    """error() with a table, nil or a string: always a PluginRuntimeError with a message."""
    for value in ("{}", "nil", "'boom'"):
        with pytest.raises(PluginRuntimeError) as raised:
            harness.run(f"function main() error({value}) end")
        assert raised.value.reason


@settings(max_examples=40, deadline=None)
@given(budget=st.integers(min_value=1, max_value=10**9), steps=st.lists(st.integers(1, 10**8), max_size=50))
def test_the_meter_stops_exactly_past_the_budget(budget: int, steps: list[int]) -> None:
    """The meter says stop once the instructions counted exceed the budget, and then always."""
    meter = Meter(PluginLimits(instructions=budget, timeout_s=3600), time.monotonic)
    total = 0
    for step in steps:
        total += step
        assert (meter(step) is not None) == (total > budget)


def test_a_failure_names_the_plugin_and_entry(harness: Harness) -> None:
    """The error says which plugin and which entry point failed."""
    with pytest.raises(PluginFailed) as raised:
        harness.run("function main() end function other() error('no') end", "other")
    assert (raised.value.plugin, raised.value.entry) == ("hello", "other")
    assert "hello.other" in str(raised.value)
