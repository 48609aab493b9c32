-- The `funcs` module: calls of function.lua entries. A call yields to the
-- dispatcher, which runs the callee as its own thread and resumes the caller
-- with (result, err).
local py, K = ...
local yield_op = K.yield_op
local copy_all = K.copy_all
local raw_setmetatable = setmetatable

local FUT = {}
local FUT_MT = { __name = "future", __index = FUT, __metatable = "future" }

local function wrap_future(h, err)
  if h == nil then return nil, err end
  return raw_setmetatable({ ["\0h"] = h }, FUT_MT)
end

function FUT.response(f) return K.wrap_channel(py.future_channel(f["\0h"])) end
FUT.channel = FUT.response
function FUT.is_complete(f) return py.future_state(f["\0h"]) ~= 0 end
function FUT.is_canceled(f) return py.future_state(f["\0h"]) == 3 end
function FUT.result(f)
  local state, value, err = py.future_result(f["\0h"])
  if state == 0 then return nil, nil end
  if err ~= nil then return nil, err end
  return K.new_payload(value), nil
end
function FUT.error(f)
  local state, _, err = py.future_result(f["\0h"])
  return err, err ~= nil
end
function FUT.cancel(f) return py.future_cancel(f["\0h"]) end

local EX = {}
local EX_MT = { __name = "executor", __index = EX, __metatable = "executor" }

local function executor(context, options)
  return raw_setmetatable({ ["\0c"] = context, ["\0o"] = options }, EX_MT)
end

local function merge(base, extra)
  local out = {}
  if base then for k, v in pairs(base) do out[k] = v end end
  for k, v in pairs(extra) do out[k] = v end
  return out
end

function EX.with_context(ex, values)
  if type(values) ~= "table" then error("with_context expects a table", 2) end
  return executor(merge(ex["\0c"], values), ex["\0o"])
end
function EX.with_options(ex, options)
  if type(options) ~= "table" then error("with_options expects a table", 2) end
  return executor(ex["\0c"], merge(ex["\0o"], options))
end
function EX.with_actor(ex) return executor(ex["\0c"], ex["\0o"]) end
function EX.with_scope(ex) return executor(ex["\0c"], ex["\0o"]) end
function EX.call(ex, target, ...)
  return yield_op("funcs.call", ex["\0c"], ex["\0o"], target, copy_all(...))
end
function EX.async(ex, target, ...)
  return wrap_future(py.async(ex["\0c"], ex["\0o"], target, copy_all(...)))
end

local funcs = {}
function funcs.call(target, ...)
  return yield_op("funcs.call", nil, nil, target, copy_all(...))
end
function funcs.async(target, ...)
  return wrap_future(py.async(nil, nil, target, copy_all(...)))
end
function funcs.new() return executor(nil, nil) end
return funcs
