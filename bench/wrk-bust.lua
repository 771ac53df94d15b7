-- wrk script for bench/run.py --cache-bust: like wrk-report.lua (run from bench/, which it loads), but every
-- request gets a unique `_bench=<thread>-<n>` query parameter, which the API ignores, so that no response
-- cache keyed by the URL can answer it: the figures are those of computing each response.

dofile("wrk-report.lua")

local threads = {}
local counter = 0

setup = function(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

init = function(args)
  separator = string.find(wrk.path, "?", 1, true) and "&" or "?"
end

request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. separator .. "_bench=" .. id .. "-" .. counter)
end
