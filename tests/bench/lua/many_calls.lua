for i = 1, 50000 do redis.call('SET', 'k' .. i, i) redis.call('INCR', 'k' .. i) end return 1
