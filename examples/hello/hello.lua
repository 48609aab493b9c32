-- Run with: wippy-py run examples/hello hello [NAME]
local io = require("io")

local function main(name: string?): integer
    io.print("Hello, " .. (name or "world") .. "!")
    return 0
end

return { main = main }
