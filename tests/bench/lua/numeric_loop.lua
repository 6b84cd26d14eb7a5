local s = 0 for i = 1, 3000000 do s = (s + i * 3) % 1000003 end return s
