-- The `uuid` module. v1/v4/v7 are side effects (recorded inside workflows).
local py = ...
return {
  v1 = function() return py.v1() end,
  v4 = function() return py.v4() end,
  v7 = function() return py.v7() end,
  v3 = function(namespace, name) return py.v3(namespace, name) end,
  v5 = function(namespace, name) return py.v5(namespace, name) end,
  validate = function(id) return py.validate(id) end,
  version = function(id) return py.version(id) end,
  variant = function(id) return py.variant(id) end,
  parse = function(id) return py.parse(id) end,
  format = function(id, fmt) return py.format(id, fmt) end,
}
