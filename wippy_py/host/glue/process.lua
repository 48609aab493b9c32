-- The `process` global: identity, messaging and spawning. Sends and spawns run
-- inline; waiting (exec) yields to the dispatcher.
local py, K = ...
local yield_op = K.yield_op
local pack = K.pack_payload
local copy_all = K.copy_all

local process = {}

function process.pid() return py.pid() end
function process.id() return py.pid() end

function process.send(dest, topic, ...)
  return py.send(dest, topic, pack(...))
end

function process.spawn(id, host, ...) return py.spawn(id, host, 0, copy_all(...)) end
function process.spawn_monitored(id, host, ...) return py.spawn(id, host, 1, copy_all(...)) end
function process.spawn_linked(id, host, ...) return py.spawn(id, host, 2, copy_all(...)) end
function process.spawn_linked_monitored(id, host, ...) return py.spawn(id, host, 3, copy_all(...)) end

function process.exec(id, host, ...)
  local pid, err = py.spawn(id, host, 0, copy_all(...))
  if pid == nil then return nil, err end
  return yield_op("process.wait", pid)
end

function process.inbox() return K.wrap_channel(py.inbox()) end

return process
