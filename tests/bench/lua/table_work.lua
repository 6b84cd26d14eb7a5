local t = {} for i = 1, 100000 do t[i] = {id = i, name = 'n' .. i} end
local sum = 0 for _, v in ipairs(t) do sum = sum + v.id end
table.sort(t, function(a, b) return a.id > b.id end) return sum
