-- The `io` module of the terminal host: print/write to stdout, readline from stdin.
local py, K = ...
local yield_op = K.yield_op
local tostring, select, concat = tostring, select, table.concat

local function join(sep, ...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  return concat(parts, sep)
end

return {
  print = function(...) py.write(join("\t", ...) .. "\n") end,
  write = function(...) py.write(join("", ...)) end,
  readline = function()
    py.check()
    return yield_op("io.readline")
  end,
}
