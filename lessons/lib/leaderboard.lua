--[[ leaderboard.lua: a leaderboard in one sorted set, member = player,
score = points, highest first.

Every update is one command, so concurrent updates never lose points
(ZINCRBY adds, ZADD GT keeps the best). Reads use ZRANGE ... REV (Redis 6.2+;
ZREVRANGE is the older spelling of the same thing). Ranks here are 1-based,
as players read them; Redis's are 0-based.

Ties: Redis orders equal scores by member name (byte order, reversed for REV),
so two players on the same score get different ZREVRANKs. `rank` reports
Redis's position; `shared_rank` gives tied players the same rank (1, 2, 2, 4),
which is what a results table usually shows.

Seasons: a board per season, its key named after the season, so a new season
starts empty without deleting anything, and the old board expires by itself
some time after its season ends. ]]

local M = {}

--- Adds `points` to the player's score (creating it) and returns the new
-- score. One command: no read-modify-write race between game servers.
function M.add(board, player, points)
  return tonumber(redis.call("ZINCRBY", board, points, player))
end

--- Records a score only if it beats the player's best. Returns true when
-- the board changed. ZADD GT alone replies 0 for an update (it counts only
-- new members); CH makes it count changed ones too.
function M.submit_best(board, player, score)
  return redis.call("ZADD", board, "GT", "CH", score, player) == 1
end

--- Turns a WITHSCORES reply into a list of {player, score, rank}, ranks
-- counting from `first_rank`.
local function entries(reply, first_rank)
  local list = {}
  for i = 1, #reply, 2 do
    list[#list + 1] = {
      player = reply[i],
      score = tonumber(reply[i + 1]),
      rank = first_rank + (i - 1) / 2,
    }
  end
  return list
end

--- The best `n` players, best first.
function M.top(board, n)
  if n < 1 then return {} end
  return entries(redis.call("ZRANGE", board, 0, n - 1, "REV", "WITHSCORES"), 1)
end

--- Page `page` (1-based) of `size` players: ranks (page-1)*size+1 to page*size.
function M.page(board, page, size)
  if page < 1 or size < 1 then return {} end
  local first = (page - 1) * size
  return entries(redis.call("ZRANGE", board, first, first + size - 1, "REV", "WITHSCORES"),
                 first + 1)
end

--- The player's 1-based position and score, or nil if not on the board.
-- Two reads: a score can change between them, which a display can live with.
function M.rank(board, player)
  local zero_based = redis.call("ZREVRANK", board, player)
  if not zero_based then return nil end
  return zero_based + 1, tonumber(redis.call("ZSCORE", board, player))
end

--- The rank tied players share: one more than the number of players with a
-- strictly higher score. nil if the player is not on the board.
function M.shared_rank(board, player)
  local score = redis.call("ZSCORE", board, player)
  if not score then return nil end
  return redis.call("ZCOUNT", board, "(" .. score, "+inf") + 1, tonumber(score)
end

--- The player and up to `radius` players on each side. Near the top there
-- are fewer above: the start is clamped at rank 0, because a negative start
-- would count from the bottom of the board.
function M.around(board, player, radius)
  local zero_based = redis.call("ZREVRANK", board, player)
  if not zero_based then return {} end
  local first = math.max(0, zero_based - radius)
  return entries(redis.call("ZRANGE", board, first, zero_based + radius, "REV", "WITHSCORES"),
                 first + 1)
end

--- The board of the season containing time `t_ms`, seasons `season_ms`
-- long: e.g. "scores:season:42".
function M.season_key(board, t_ms, season_ms)
  return board .. ":season:" .. math.floor(t_ms / season_ms)
end

--- Adds points on the current season's board and keeps that board until
-- `keep_ms` after its season ends. Returns the new score and the key.
function M.add_seasonal(board, player, points, t_ms, season_ms, keep_ms)
  local key = M.season_key(board, t_ms, season_ms)
  local score = M.add(key, player, points)
  local season_end = (math.floor(t_ms / season_ms) + 1) * season_ms
  redis.call("PEXPIRE", key, season_end - t_ms + keep_ms)
  return score, key
end

return M
