-- wrk script: POST a Slack request signed like Slack does, with the current timestamp.
--   wrk -t2 -c16 -d10s --latency -s bench/sign.lua http://127.0.0.1:3000/slack/events \
--       -- <signing secret> <body template file> <command|event>
-- Slash command bodies are static (the signature is recomputed when the second changes);
-- event bodies get a fresh event_id and ts per request (__EVENT_ID__, __TS__), so the app's
-- de-duplication sees new events, and are signed one by one.
-- HMAC-SHA256 in plain LuaJIT (wrk has no crypto library).

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rshift, lshift, ror, tobit = bit.rshift, bit.lshift, bit.ror, bit.tobit

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local function sha256(msg)
  local len = #msg
  local bits = len * 8
  msg = msg .. "\128" .. string.rep("\0", (55 - len) % 64)
  local hi = math.floor(bits / 4294967296)
  msg = msg .. string.char(
    band(rshift(hi, 24), 255), band(rshift(hi, 16), 255), band(rshift(hi, 8), 255), band(hi, 255),
    band(rshift(bits, 24), 255), band(rshift(bits, 16), 255), band(rshift(bits, 8), 255),
    band(bits, 255))
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local w = {}
  for chunk = 1, #msg, 64 do
    for i = 0, 15 do
      local a, b, c, d = msg:byte(chunk + i * 4, chunk + i * 4 + 3)
      w[i] = tobit(bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d))
    end
    for i = 16, 63 do
      local v15, v2 = w[i - 15], w[i - 2]
      local s0 = bxor(ror(v15, 7), ror(v15, 18), rshift(v15, 3))
      local s1 = bxor(ror(v2, 17), ror(v2, 19), rshift(v2, 10))
      w[i] = tobit(w[i - 16] + s0 + w[i - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for i = 0, 63 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = tobit(h + S1 + ch + K[i + 1] + w[i])
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      local t2 = tobit(S0 + maj)
      h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
    end
    h0, h1, h2, h3 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d)
    h4, h5, h6, h7 = tobit(h4 + e), tobit(h5 + f), tobit(h6 + g), tobit(h7 + h)
  end
  local out = {}
  for _, v in ipairs({h0, h1, h2, h3, h4, h5, h6, h7}) do
    out[#out + 1] = string.char(
      band(rshift(v, 24), 255), band(rshift(v, 16), 255), band(rshift(v, 8), 255), band(v, 255))
  end
  return table.concat(out)
end

local function xor_pad(key, byte)
  local out = {}
  for i = 1, 64 do
    out[i] = string.char(bxor(key:byte(i) or 0, byte))
  end
  return table.concat(out)
end

local function hmac_sha256(key, msg)
  if #key > 64 then key = sha256(key) end
  return sha256(xor_pad(key, 0x5c) .. sha256(xor_pad(key, 0x36) .. msg))
end

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local counter = 0
local threads = 0
local thread_id = 0
local secret, template, mode
local signed_at, signed_headers

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  secret, mode = args[1], args[3]
  local f = assert(io.open(args[2], "rb"))
  template = f:read("*a")
  f:close()
  thread_id = tonumber(_G.tid) or 0
  wrk.method = "POST"
end

local function headers_for(ts, body, content_type)
  return {
    ["Content-Type"] = content_type,
    ["X-Slack-Request-Timestamp"] = ts,
    ["X-Slack-Signature"] = "v0=" .. hex(hmac_sha256(secret, "v0:" .. ts .. ":" .. body)),
  }
end

function request()
  local ts = tostring(os.time())
  if mode == "command" then
    if signed_at ~= ts then
      signed_at, signed_headers =
        ts, headers_for(ts, template, "application/x-www-form-urlencoded")
    end
    return wrk.format(nil, nil, signed_headers, template)
  end
  counter = counter + 1
  local id = "EvB" .. thread_id .. "x" .. counter .. "x" .. ts
  local body = template:gsub("__EVENT_ID__", id):gsub("__TS__", ts .. "." .. counter)
  return wrk.format(nil, nil, headers_for(ts, body, "application/json"), body)
end
