-- wrk script: RAM GetUser signed per request (SignatureVersion 1.0) with
-- a fresh nonce each time, so every request passes the full verifier
-- including the replay window. Usage (from this folder):
--   wrk -t2 -c32 -d20s -s rpc_get_user.lua http://127.0.0.1:PORT -- \
--       KEY_ID KEY_SECRET USER
local sign = dofile("sign.lua")
local key_id, secret, user
local counter = 0
failures = 0  -- global: done() reads it from each thread
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  key_id, secret, user = args[1], args[2], args[3]
  math.randomseed(os.time() * 1000 + tid)
end

function request()
  counter = counter + 1
  local p = {
    AccessKeyId = key_id, Action = "GetUser", Format = "JSON",
    SignatureMethod = "HMAC-SHA1", SignatureVersion = "1.0",
    SignatureNonce = string.format("%d-%d-%d", tid, counter,
                                   math.random(1, 1e9)),
    Timestamp = os.date("!%Y-%m-%dT%H:%M:%SZ"), UserName = user,
    Version = "2015-05-01",
  }
  local names = {}
  for k in pairs(p) do names[#names + 1] = k end
  table.sort(names)
  local parts = {}
  for i, k in ipairs(names) do
    parts[i] = sign.encode(k) .. "=" .. sign.encode(p[k])
  end
  local canonical = table.concat(parts, "&")
  local sig = sign.b64(sign.hmac_sha1(secret .. "&",
                                      "GET&%2F&" .. sign.encode(canonical)))
  return wrk.format("GET", "/?" .. canonical .. "&Signature=" ..
                    sign.encode(sig))
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
