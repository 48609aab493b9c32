-- The `ctx` module: context values passed by with_context, inherited by calls.
local py = ...
return {
  get = function(key) return py.get(key) end,
  all = function() return py.all() end,
}
