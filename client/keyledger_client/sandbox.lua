-- The plugin sandbox. sandbox.py runs this chunk once in every fresh Lua 5.4 state, while the whole standard
-- library is still open and before any plugin byte is loaded. It keeps what it needs in locals, builds the
-- only environment a plugin ever sees (an allowlist), then empties the real global table. It returns two
-- functions: compile(source, chunkname) and run(chunk, entry, ...).
--
-- Arguments: meter (a host function called every `every` instructions: nil while within the limits, else
-- the reason to stop), every, and the host's log, notify, config and license functions. Each host
-- function returns true and its results, or false and a message: host errors never carry host objects.
local meter, every, host_log, host_notify, host_config, host_license = ...

local G = _G
local debug_sethook, raw_getmetatable = debug.sethook, debug.getmetatable
local error, type, next, pairs, select, load = error, type, next, pairs, select, load
local pcall, xpcall, setmetatable, rawget = pcall, xpcall, setmetatable, rawget
local string_len, string_find, string_rep = string.len, string.find, string.rep
local MAX_FIND_WORK = 1 << 26

-- Limits: the hook asks the host every `every` instructions; once it says stop, every further instruction
-- raises again (count 1), and the pcall/xpcall a plugin gets rethrow, so the stop cannot be caught.
local stopped = nil
local function hook()
  if stopped == nil then stopped = meter(every) end
  if stopped ~= nil then
    debug_sethook(hook, "", 1)
    error(stopped, 0)
  end
end

local function passed(...)
  if stopped ~= nil then error(stopped, 0) end
  return ...
end

local function frozen(name, members)
  local proxy = {}
  setmetatable(proxy, {
    __index = members,
    __newindex = function() error(name .. " is read-only", 2) end,
    __pairs = function() return function(_, key) return next(members, key) end, proxy, nil end,
    __metatable = false,
  })
  return proxy
end

local function pick(library, names)
  local members = {}
  for _, name in G.ipairs(names) do members[name] = library[name] end
  return members
end

local function plain_table(t, what)
  if type(t) ~= "table" or raw_getmetatable(t) ~= nil then
    error(what .. " takes a table without a metatable", 3)
  end
end

local function checked(f, what)
  return function(t, ...)
    plain_table(t, what)
    return f(t, ...)
  end
end

local function string_arg(value, what, position)
  if type(value) ~= "string" then
    error(what .. ": argument " .. position .. " must be a string", 3)
  end
end

-- Library functions that loop in C without executing Lua instructions get bounds, since no hook can
-- interrupt them: patterns (exponential backtracking), rep of an empty string, table functions driven
-- by a __len or __index metamethod. string.find keeps plain searches only.
local strings = pick(string, { "byte", "char", "format", "len", "lower", "reverse", "sub", "upper" })
strings.find = function(s, needle, init, plain)
  if plain ~= true then error("string.find: only plain searches (4th argument true) in plugins", 2) end
  if string_len(s) * string_len(needle) > MAX_FIND_WORK then error("string.find: strings too long", 2) end
  return string_find(s, needle, init, true)
end
strings.rep = function(s, n, sep)
  if string_len(s) + (sep == nil and 0 or string_len(sep)) == 0 then return "" end
  return string_rep(s, n, sep)
end
local tables = { pack = table.pack }
for _, name in G.ipairs({ "concat", "insert", "remove", "sort", "unpack" }) do
  tables[name] = checked(table[name], "table." .. name)
end

local env = {
  _VERSION = _VERSION,
  assert = assert, error = error, ipairs = G.ipairs, next = next, pairs = pairs, select = select,
  tonumber = G.tonumber, tostring = G.tostring, type = type,
  rawequal = G.rawequal, rawget = rawget, rawlen = G.rawlen, getmetatable = G.getmetatable,
  pcall = function(f, ...) return passed(pcall(f, ...)) end,
  xpcall = function(f, handler, ...) return passed(xpcall(f, handler, ...)) end,
  setmetatable = function(t, mt)
    if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
      error("setmetatable: __gc is not available to plugins", 2)
    end
    return setmetatable(t, mt)
  end,
  string = frozen("string", strings),
  table = frozen("table", tables),
  math = frozen("math", pick(math, (function()
    local names = {}
    for name in pairs(math) do names[#names + 1] = name end
    return names
  end)())),
  utf8 = frozen("utf8", pick(utf8, { "char", "charpattern", "codepoint", "codes", "len", "offset" })),
  os = frozen("os", pick(os, { "time", "clock" })),
}

-- The approved API: Lua functions around the host's, so a plugin never holds a host object.
local function answer(ok, ...)
  if not ok then error((...), 3) end
  return ...
end
env.log = function(level, message)
  string_arg(level, "log", 1)
  string_arg(message, "log", 2)
  answer(host_log(level, message))
end
env.notify = function(title, body)
  string_arg(title, "notify", 1)
  string_arg(body, "notify", 2)
  answer(host_notify(title, body))
end
env.config = function(key)
  string_arg(key, "config", 1)
  return answer(host_config(key))
end
env.license = function()
  local valid, reason, expires_at, tier = answer(host_license())
  return { valid = valid, reason = reason, expires_at = expires_at, tier = tier }
end
setmetatable(env, { __metatable = false })

-- Strings share one metatable: its __index becomes the sandbox's string table, and it is locked.
local string_meta = raw_getmetatable("")
string_meta.__index = env.string
string_meta.__metatable = false

local function compile(source, chunkname)
  local chunk, problem = load(source, chunkname, "t", env)
  return chunk, problem
end

local function run(chunk, entry, ...)
  debug_sethook(hook, "", every)
  chunk()
  local f = rawget(env, entry)
  if type(f) ~= "function" then error("entry point '" .. entry .. "' is not a function", 0) end
  return (f(...))
end

for name in pairs(G) do G[name] = nil end
return compile, run
