-- The `workflow` module (modules: [workflow]): run information, versioning markers,
-- synchronous child workflows and attributes. Outside a workflow it answers the way
-- Wippy documents (version -> max_supported, exec/attrs -> Invalid).
local py, K = ...
local yield_op, copy_all = K.yield_op, K.copy_all
local raw_type, raw_error, math_type = type, error, math.type

local workflow = {}

function workflow.info() return py.info() end

function workflow.version(change_id, min_supported, max_supported)
  if raw_type(change_id) ~= "string" or change_id == "" then
    raw_error("workflow.version: change_id must be a non-empty string", 2)
  end
  if math_type(min_supported) ~= "integer" or math_type(max_supported) ~= "integer"
      or min_supported > max_supported then
    raw_error("workflow.version: min_supported and max_supported must be integers with "
      .. "min_supported <= max_supported", 2)
  end
  return py.version(change_id, min_supported, max_supported)
end

function workflow.exec(id, ...)
  local pid, err = py.exec_start(id, copy_all(...))
  if pid == nil then return nil, err end
  return yield_op("process.wait", pid)
end

function workflow.attrs(values)
  if raw_type(values) ~= "table" then raw_error("workflow.attrs expects a table", 2) end
  return py.attrs(values)
end

function workflow.history_length() return py.history_length() end
function workflow.history_size() return py.history_length() end

return workflow
