-- HMAC-SHA1, Base64 and RFC 3986 encoding in plain LuaJIT, so wrk can
-- sign every request itself (a fresh SignatureNonce each time). Checked
-- against the reference vectors when loaded.
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, rol, tobit = bit.lshift, bit.rshift, bit.rol, bit.tobit

local function be32(h)
  return string.char(band(rshift(h, 24), 255), band(rshift(h, 16), 255),
                     band(rshift(h, 8), 255), band(h, 255))
end

local function sha1(msg)
  local h0, h1, h2, h3, h4 =
    tobit(0x67452301), tobit(0xEFCDAB89), tobit(0x98BADCFE),
    tobit(0x10325476), tobit(0xC3D2E1F0)
  local ml = #msg
  msg = msg .. "\128" .. string.rep("\0", (55 - ml) % 64) ..
        "\0\0\0\0" .. be32(ml * 8)
  local w = {}
  for i = 1, #msg, 64 do
    for j = 0, 15 do
      local a, b, c, d = msg:byte(i + j * 4, i + j * 4 + 3)
      w[j] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for j = 16, 79 do
      w[j] = rol(bxor(w[j - 3], w[j - 8], w[j - 14], w[j - 16]), 1)
    end
    local a, b, c, d, e = h0, h1, h2, h3, h4
    for j = 0, 79 do
      local f, k
      if j < 20 then
        f, k = bor(band(b, c), band(bnot(b), d)), 0x5A827999
      elseif j < 40 then
        f, k = bxor(b, c, d), 0x6ED9EBA1
      elseif j < 60 then
        f, k = bor(band(b, c), band(b, d), band(c, d)), 0x8F1BBCDC
      else
        f, k = bxor(b, c, d), 0xCA62C1D6
      end
      local t = tobit(rol(a, 5) + f + e + k + w[j])
      e, d, c, b, a = d, c, rol(b, 30), a, t
    end
    h0, h1, h2 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c)
    h3, h4 = tobit(h3 + d), tobit(h4 + e)
  end
  return be32(h0) .. be32(h1) .. be32(h2) .. be32(h3) .. be32(h4)
end

local function xor_with(key, byte)
  return (key:gsub(".", function(ch)
    return string.char(bxor(ch:byte(), byte))
  end))
end

local function hmac_sha1(key, msg)
  if #key > 64 then
    key = sha1(key)
  end
  key = key .. string.rep("\0", 64 - #key)
  return sha1(xor_with(key, 0x5c) .. sha1(xor_with(key, 0x36) .. msg))
end

local alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local q = {}
    for j = 3, 0, -1 do
      local idx = math.floor(v / 64 ^ j) % 64
      q[#q + 1] = alphabet:sub(idx + 1, idx + 1)
    end
    if not b then q[3] = "=" end
    if not c then q[4] = "=" end
    out[#out + 1] = table.concat(q)
  end
  return table.concat(out)
end

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(ch)
    return string.format("%%%02X", ch:byte())
  end))
end

assert(b64(hmac_sha1("secret", "source")) == "Jv4yi8SobFhg5t1C7nWLbhBSFZQ=")
assert(b64(hmac_sha1("TestAccessSecret",
  "GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n" ..
  "/MyQueue")) == "uwx3yeWoILzgmvesW0BQSgfM7b8=")

return { hmac_sha1 = hmac_sha1, b64 = b64, encode = encode }
