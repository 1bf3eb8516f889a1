-- wrk script: MNS GetQueueAttributes, signed (V2) once at start; MNS has
-- no nonce, so the same signed request stays valid for 15 minutes.
-- Usage (from this folder):
--   wrk -t2 -c32 -d20s -s mns_get_queue.lua http://127.0.0.1:PORT -- \
--       KEY_ID KEY_SECRET QUEUE
local sign = dofile("sign.lua")
failures = 0  -- global: done() reads it from each thread
local threads = {}
local path

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local date = os.date("!%a, %d %b %Y %H:%M:%S GMT")
  path = "/queues/" .. args[3]
  local sts = "GET\n\n\n" .. date .. "\nx-mns-version:2015-06-06\n" .. path
  wrk.headers["Date"] = date
  wrk.headers["x-mns-version"] = "2015-06-06"
  wrk.headers["Authorization"] = "MNS " .. args[1] .. ":" ..
                                 sign.b64(sign.hmac_sha1(args[2], sts))
end

function request()
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("failures") end
  io.write(string.format("non-200 answers: %d\n", bad))
end
