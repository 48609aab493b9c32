-- The `json` module (deterministic: allowed in workflows).
local py = ...
return {
  encode = function(value) return py.encode(value) end,
  decode = function(text) return py.decode(text) end,
  validate = function(schema, value) return py.validate(schema, value) end,
  validate_string = function(schema, text) return py.validate_string(schema, text) end,
}
