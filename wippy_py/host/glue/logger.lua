-- The `logger` module: structured logs on stderr. Accepts both logger.info(msg, fields)
-- and the method form logger:info(msg, fields).
local py = ...
local logger = {}
local function level(name)
  return function(a, b, c)
    -- method form: the first argument is the (read-only proxy of the) module table
    if type(a) == "table" then a, b = b, c end
    py.log(name, a, b)
  end
end
logger.debug = level("debug")
logger.info = level("info")
logger.warn = level("warn")
logger.error = level("error")
logger.with = function() return logger end
logger.named = function() return logger end
return logger
