"""Escape attempts from the plugin sandbox: each is refused, leaves no trace on the host, and the next
plugin call works as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lupa.lua54 as lua  # type: ignore[import-untyped]  # lupa ships no type information
import pytest
from keyledger_client import PluginMalformed, PluginRuntimeError
from keyledger_client.plugin_bundle import Plugin
from keyledger_client.plugin_manifest import Manifest
from keyledger_client.sandbox import PluginLimits, refuse_attributes, run_call

from tests.client.vendor import Harness

ALLOWED_GLOBALS = [
    "_VERSION", "assert", "config", "error", "getmetatable", "ipairs", "license", "log", "math", "next",
    "notify", "os", "pairs", "pcall", "rawequal", "rawget", "rawlen", "select", "setmetatable", "string",
    "table", "tonumber", "tostring", "type", "utf8", "xpcall",
]  # fmt: skip
LIBRARIES = {
    "string": "byte char find format len lower rep reverse sub upper",
    "table": "concat insert pack remove sort unpack",
    "utf8": "char charpattern codepoint codes len offset",
    "os": "clock time",
}
LIST_NAMES = """
function main(where)
  local names = {}
  for name in pairs(where == "" and _ENV or _ENV[where]) do
    if name ~= "main" and name ~= "other" then names[#names + 1] = name end
  end
  table.sort(names)
  return table.concat(names, " ")
end
"""


def bytecode() -> bytes:
    """A compiled chunk (made outside any sandbox, with the full library)."""
    dumped: bytes = lua.LuaRuntime(encoding=None).eval("string.dump(function() return 1 end)")
    return dumped


def lua_string(data: bytes) -> str:
    return '"' + "".join(f"\\{byte}" for byte in data) + '"'


def test_the_environment_is_exactly_the_allowlist(harness: Harness) -> None:
    """Every global a plugin can reach is on the allowlist, and every allowlisted name is there."""
    assert str(harness.run(LIST_NAMES, "main", "")).split() == ALLOWED_GLOBALS


@pytest.mark.parametrize(("library", "members"), LIBRARIES.items())
def test_libraries_hold_only_their_allowlisted_members(harness: Harness, library: str, members: str) -> None:
    """string has no dump and no patterns, os only time and clock, table no move."""
    assert str(harness.run(LIST_NAMES, "main", library)).split() == members.split()


@pytest.mark.parametrize(
    "attempt",
    [
        'io.open("{marker}", "w"):write("x")',
        'os.execute("touch {marker}")',
        'require("io").open("{marker}", "w")',
        "load({bytecode})()",
        'loadstring("return 1")()',
        'dofile("{marker}")',
        'loadfile("{marker}")',
        'collectgarbage("collect")',
        "string.dump(main)",
        '("").dump(main)',
        'getmetatable("").__index.dump(main)',
        "debug.getregistry()",
        "debug.sethook()",
        "python.eval(\"open('{marker}', 'w')\")",
        'python.builtins.open("{marker}", "w")',
        '_G.io.open("{marker}", "w")',
        'package.loadlib("libc.so.6", "system")',
        'rawset(string, "upper", nil)',
        "coroutine.wrap(function() end)()",
        'string.gsub("aaa", "a", "b")',
        'print("{marker}")',
    ],
)
def test_escape_attempts_are_refused_without_side_effects(
    harness: Harness, tmp_path: Path, attempt: str
) -> None:
    """Each forbidden name is simply not there (nil, or behind a locked metatable): the call fails, no
    file appears, the host is untouched, the next call works."""
    marker = tmp_path / "escaped"
    line = attempt.format(marker=marker, bytecode=lua_string(bytecode()))
    with pytest.raises(PluginRuntimeError, match=r"attempt to (call|index) a (nil|boolean) value"):
        harness.run(f"function main() {line} end")
    assert not marker.exists()
    assert harness.notices == []
    assert harness.run('function main() return "still fine" end') == "still fine"


def test_shared_tables_cannot_be_changed(harness: Harness) -> None:
    """Library tables, the environment and the string metatable refuse new metatables and writes."""
    source = """
    function main()
      assert(not pcall(setmetatable, string, {}))
      assert(not pcall(setmetatable, _ENV, {}))
      assert(not pcall(function() string.upper = nil end))
      assert(not pcall(function() math.pi = 3 end))
      assert(getmetatable("") == false and getmetatable(string) == false and getmetatable(_ENV) == false)
      assert(not pcall(function() getmetatable("").__index = {} end))
      return ("x"):upper() .. string.upper("y") .. math.floor(math.pi)
    end
    """
    assert harness.run(source) == "XY3"


def test_no_host_object_is_reachable(harness: Harness) -> None:
    """Everything reachable (globals, libraries, API answers, arguments) is plain Lua: no userdata."""
    harness.config["nested"] = {"list": [1, "two", {"deep": True}]}
    source = """
    local function walk(value, seen)
      if type(value) == "userdata" or type(value) == "thread" then error("host object: " .. type(value)) end
      if type(value) ~= "table" or seen[value] then return end
      seen[value] = true
      for key, item in pairs(value) do walk(key, seen); walk(item, seen) end
    end
    function main(argument)
      local seen = {}
      for _, root in ipairs({ _ENV, string, table, math, utf8, os, license(), config("nested"), argument }) do
        walk(root, seen)
      end
      assert(license().__class__ == nil and getmetatable(license()) == nil)
      assert(config("nested").__dict__ == nil and config("nested").list.__class__ == nil)
      return type(log) .. " " .. type(license) .. " " .. type(argument)
    end
    """
    assert harness.run(source, "main", "argument") == "function function string"


def test_a_host_error_reaches_lua_as_text(harness: Harness) -> None:
    """A refusal of the host (an unknown log level) arrives as a Lua string, not a Python exception."""
    source = 'function main() local ok, why = pcall(log, "shout", "x") return type(why) .. ": " .. why end'
    assert harness.run(source) == "string: log: the level is one of debug, info, warning, error"


def test_the_runtime_is_built_locked_down(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each call builds its own Lua 5.4 state without python.eval or builtins, with the attribute filter and
    the memory cap."""
    built: list[dict[str, Any]] = []
    real = lua.LuaRuntime

    def spy(**options: Any) -> Any:
        built.append(options)
        return real(**options)

    monkeypatch.setattr(lua, "LuaRuntime", spy)
    harness.run("function main() end")
    harness.run("function main() end")
    assert len(built) == 2
    assert built[0]["register_eval"] is False
    assert built[0]["register_builtins"] is False
    assert built[0]["attribute_filter"] is refuse_attributes
    assert built[0]["max_memory"] == PluginLimits().memory_bytes
    with pytest.raises(AttributeError):
        refuse_attributes(object(), "__class__", False)


def test_state_does_not_survive_a_call(harness: Harness) -> None:
    """A fresh state per call: a global set by one call is gone in the next."""
    source = "function main() local seen = counter; counter = 1; return seen == nil end"
    assert harness.run(source) is True
    assert harness.run(source) is True


def test_bytecode_is_never_loaded_even_if_signed(harness: Harness) -> None:
    """Precompiled chunks are refused by the loader (text mode), even past the bundle's own check."""
    plugin = Plugin(Manifest("hello", "1.0.0", ("main",), "user", 1), bytecode(), "k")
    with pytest.raises(PluginMalformed, match="binary chunk"):
        run_call(plugin, "main", (), harness.plugins().host("hello"), PluginLimits())
