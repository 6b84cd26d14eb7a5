local t = {} for i = 1, 200000 do t[#t + 1] = tostring(i) .. ',' end
local s = table.concat(t) local u = '' for i = 1, 5000 do u = u .. 'x' end
return #s + #u
