-- Shared helpers, imported by alias (`imports: {money: app.pricing:money}`).
local money = {}

function money.round(amount: number): number
    return math.floor(amount * 100 + 0.5) / 100
end

function money.format(amount: number): string
    return string.format("%.2f", amount)
end

return money
