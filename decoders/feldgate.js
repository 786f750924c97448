/*
 * feldgate payload codec for The Things Stack and ChirpStack v4 (TS013 style:
 * decodeUplink, encodeDownlink, decodeDownlink). ECMAScript 5.1, no require,
 * standalone. Frame format: docs/frame-format.md in the feldgate repository.
 * Also exports toSenML (RFC 8428) and toNgsiLd (ETSI GS CIM 009) forms.
 * Its CBOR reader is its own on purpose, not a copy of the firmware's writer:
 * the tests hold the two (and cbor-x) against each other as independent oracles.
 * It is strict: an item the frame format does not allow is an error, never a
 * plausible reading. Apache-2.0.
 */

var FRAME_VERSION = 1;
var DOWNLINK_VERSION = 1;
/* Nesting a frame may use; unknown notes keys may nest deeper than the known blocks. */
var MAX_DEPTH = 32;
var MAX_ITEMS = 2048;
var U32_MAX = 4294967295;

/* code: [name, unit, divisor, SenML unit, SenML factor from the integer, UN/CEFACT code] */
var QUANTITIES = {
  1: ["supply_voltage", "V", 1000, "V", 0.001, "VLT"],
  2: ["board_temperature", "Cel", 10, "Cel", 0.1, "CEL"],
  3: ["level", "mm", 1, "m", 0.001, "MMT"],
  4: ["fill", "%", 10, "/", 0.001, "P1"],
  5: ["volume", "L", 1, "m3", 0.001, "LTR"],
  6: ["running", "", 1, "", 1, "C62"],
  7: ["pressure", "mbar", 1, "Pa", 100, "MBR"],
  8: ["flow", "L/h", 1, "m3/s", 0.001 / 3600, "E32"],
  9: ["total_volume", "L", 1, "m3", 0.001, "LTR"],
  10: ["run_time", "min", 1, "s", 60, "MIN"],
  11: ["starts", "", 1, "count", 1, "C62"],
  12: ["smoke_state", "", 1, "", 1, "C62"],
  13: ["stage", "mm", 1, "m", 0.001, "MMT"],
  14: ["temperature", "Cel", 10, "Cel", 0.1, "CEL"],
  15: ["soil_moisture", "%", 10, "/", 0.001, "P1"],
  16: ["depth_to_water", "mm", 1, "m", 0.001, "MMT"]
};
var SMOKE_STATES = ["quiet", "alarm", "fault", "test"];
var EVENTS = {
  1: "level_low", 2: "leak", 3: "refill", 4: "pump_fail_start", 5: "dry_run", 6: "pressure_loss",
  7: "short_cycle", 8: "smoke", 9: "smoke_test", 10: "tamper", 11: "detector_fault", 12: "rise_rate",
  13: "high_water", 14: "over_temperature", 15: "door_open", 16: "sensor_fault"
};
var QUALITIES = ["ok", "out_of_range", "stuck", "no_answer", "checksum_error"];
var HEALTH = {
  1: "uptime_s", 2: "boots", 3: "supply_mv", 4: "buffered_readings", 5: "dropped_readings",
  6: "firmware", 7: "link", 8: "joins", 9: "link_failures", 10: "airtime_ms", 11: "reconnects",
  12: "storage_free_bytes", 13: "page_erases",
  14: "lorawan_state", 15: "lorawan_joins", 16: "lorawan_failures", 17: "lorawan_modem_resets",
  18: "wifi_state", 19: "wifi_connections", 20: "wifi_failures", 21: "wifi_reconnects",
  22: "buffer_area_lost", 23: "not_started"
};
/* SenML units of the health figures: counters are "count", times "s". */
var HEALTH_UNITS = { uptime_s: "s", supply_mv: "V", storage_free_bytes: "B", airtime_ms: "s" };
var LINKS = ["none", "lorawan", "wifi-mqtt", "wifi-http"];
/* Health key 23: the parts that did not start, one bit each. */
var PARTS = ["lorawan", "wifi", "sensors"];
/* Each link's state (health keys 14 and 18). */
var LINK_STATES = { lorawan_state: ["modem_not_ready", "joining", "joined"], wifi_state: ["no_wifi", "no_platform", "connected"] };
/* 6: the downlink names a sensor kind whose driver the gateway was flashed without (npm run flash -- --drivers). */
var STATUS_RESULTS = ["accepted", "malformed", "unknown_command", "out_of_range", "replayed", "rejected", "kind_not_in_firmware"];
/* The sensor kinds there are drivers for; a gateway holds those of its site only (docs/provisioning.md). */
var SENSOR_KINDS = ["trough", "pump", "smoke", "level", "meter", "temp", "soil"];
var COMMANDS = { set_interval: 1, set_sensor: 2, read_now: 3, reboot: 4, report_status: 5 };
var COMMAND_NAMES = { 1: "set_interval", 2: "set_sensor", 3: "read_now", 4: "reboot", 5: "report_status" };

/*
 * Sensor options a set_sensor downlink may carry (the site configuration's
 * names, docs/frame-format.md). Numbers: [lowest, highest] over every sensor
 * kind that has the option; the gateway checks the kind's own range. Other
 * kinds of value: "port" (a port number), "text", "bool", "kind" (one of
 * SENSOR_KINDS: the sensor becomes one of that kind), "roms" (a list of
 * DS18B20 ROM codes), "cal" ({empty, full} in volts).
 */
var OPTIONS = {
  ampsPerVolt: [0.1, 1000], count: [1, 10], currentA: [0.1, 500], datumMm: [-100000, 100000], debounceMs: [1, 2000],
  depth: [50, 5000], diameter: [100, 20000], doorOpenS: [1, 86400], dry: [0.1, 5], dryRunS: [1, 3600],
  failStartS: [1, 3600], highMm: [-100000, 200000], hystC: [0, 20], hystMm: [0, 10000], hystPct: [0, 50],
  leakMmPerH: [0, 10000], litresPerMm: [0.001, 1000], litresPerPulse: [0.001, 10000], lossMbar: [0, 100000],
  lowPct: [0, 100], maxC: [-50, 120], maxStartsPerHour: [1, 60], median: [1, 15], minFlowLph: [0, 1e7],
  minPressureMbar: [0, 100000], mount: [100, 10000], pressureMaxMbar: [100, 100000], rangeMm: [100, 200000],
  refillMm: [0, 5000], riseMmPerH: [0, 100000], riseWindowS: [300, 86400], stuckSamples: [0, 10000],
  vMax: [0.1, 5], vMin: [0, 5], wet: [0.1, 5], width: [100, 20000], length: [100, 20000],
  port: "port", auxPort: "port", doorPort: "port", flowPort: "port", pressurePort: "port", modbusPort: "port",
  name: "text", mode: "text", demand: "text", pressureSensor: "text", faultLine: "text",
  activeLow: "bool", alarmActive: "bool", probes: "roms", cal: "cal", kind: "kind"
};
/* Largest downlink payload per EU868 data rate (RP002-1.0.4, Table 6), DR0 to DR7. */
var EU868_MAX_PAYLOAD = [51, 51, 51, 115, 222, 222, 222, 222];

function has(o, k) {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/* ------------------------------------------------------------------ CBOR reader (RFC 8949) */

function CborError(message) {
  this.message = message;
}
CborError.prototype = Object.create(Error.prototype);
CborError.prototype.name = "CborError";

/*
 * A CBOR map: its keys and values in order, never an object built from the
 * keys, so no key can reach a prototype. Keys are unsigned integers or text.
 */
function CborMap() {
  this.keys = [];
  this.values = [];
}
CborMap.prototype.get = function (k) {
  for (var i = 0; i < this.keys.length; i++) if (this.keys[i] === k) return this.values[i];
  return undefined;
};

/*
 * Decodes one well-formed CBOR data item that uses only what the frame format
 * needs: unsigned and negative integers up to 2^53, text strings of valid
 * UTF-8, arrays, maps with unsigned-integer or text keys (no duplicates),
 * finite floats, false, true and null. Anything else is an error that says
 * what it found: byte strings, tags, other simple values, NaN and infinities,
 * and every malformed item (RFC 8949 section 3 and Appendix F).
 */
function cborDecode(bytes) {
  var pos = 0;
  var items = 0;
  function need(n) {
    if (pos + n > bytes.length) throw new CborError("truncated at byte " + pos);
  }
  function byte() {
    need(1);
    return bytes[pos++] & 255;
  }
  function u32at(p) {
    return bytes[p] * 16777216 + ((bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]);
  }
  function arg(info) {
    if (info < 24) return info;
    if (info === 24) return byte();
    if (info === 25) { need(2); pos += 2; return (bytes[pos - 2] << 8) | bytes[pos - 1]; }
    if (info === 26) { need(4); pos += 4; return u32at(pos - 4); }
    if (info === 27) {
      need(8);
      var hi = u32at(pos), lo = u32at(pos + 4);
      pos += 8;
      if (hi >= 0x200000) throw new CborError("integer beyond 2^53 at byte " + (pos - 9));
      return hi * 4294967296 + lo;
    }
    throw new CborError("reserved additional information " + info + " at byte " + (pos - 1));
  }
  /* Exact IEEE 754 decoding by arithmetic: ES5.1 has no DataView. Powers of two are built by halving and doubling, which is exact. */
  function pow2(e) {
    var r = 1;
    for (; e > 0; e--) r *= 2;
    for (; e < 0; e++) r /= 2;
    return r;
  }
  function float(n) {
    need(n);
    var ebits = n === 2 ? 5 : n === 4 ? 8 : 11, mbits = n * 8 - 1 - ebits, bias = (1 << (ebits - 1)) - 1;
    var sign = bytes[pos] & 0x80 ? -1 : 1, e = 0, m = 0, i;
    for (i = 1; i <= ebits; i++) e = e * 2 + ((bytes[pos + ((i / 8) | 0)] >> (7 - (i % 8))) & 1);
    for (i = ebits + 1; i < n * 8; i++) m = m * 2 + ((bytes[pos + ((i / 8) | 0)] >> (7 - (i % 8))) & 1);
    pos += n;
    if (e === (1 << ebits) - 1) throw new CborError((m ? "NaN" : "an infinite number") + " at byte " + (pos - n - 1) + ": readings are finite");
    if (e === 0) return sign * m * pow2(1 - bias - mbits);
    return sign * (pow2(mbits) + m) * pow2(e - bias - mbits);
  }
  /* UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing above U+10FFFF. */
  function utf8(start, end) {
    var s = "", i = start, c, n, cp, min;
    while (i < end) {
      c = bytes[i++];
      if (c < 0x80) { s += String.fromCharCode(c); continue; }
      if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 31; min = 0x80; }
      else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 15; min = 0x800; }
      else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 7; min = 0x10000; }
      else throw new CborError("text string is not UTF-8");
      if (i + n > end) throw new CborError("text string is not UTF-8");
      for (; n > 0; n--) {
        c = bytes[i++];
        if ((c & 0xc0) !== 0x80) throw new CborError("text string is not UTF-8");
        cp = cp * 64 + (c & 63);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new CborError("text string is not UTF-8");
      if (cp >= 0x10000) { cp -= 0x10000; s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023)); }
      else s += String.fromCharCode(cp);
    }
    return s;
  }
  function text(n) {
    need(n);
    pos += n;
    return utf8(pos - n, pos);
  }
  function isBreak() {
    need(1);
    if (bytes[pos] !== 0xff) return false;
    pos++;
    return true;
  }
  function put(map, depth) {
    var at = pos;
    var k = item(depth + 1);
    if (!isUint(k) && typeof k !== "string") throw new CborError("map key at byte " + at + " is neither an unsigned integer nor text");
    for (var j = 0; j < map.keys.length; j++) if (map.keys[j] === k) throw new CborError("duplicate map key " + JSON.stringify(k) + " at byte " + at);
    map.keys.push(k);
    map.values.push(item(depth + 1));
  }
  function item(depth) {
    if (depth > MAX_DEPTH) throw new CborError("nested deeper than " + MAX_DEPTH);
    if (++items > MAX_ITEMS) throw new CborError("more than " + MAX_ITEMS + " items");
    var at = pos;
    var ib = byte();
    var major = ib >> 5;
    var info = ib & 31;
    var n, i, out;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      if (info === 25) return float(2);
      if (info === 26) return float(4);
      if (info === 27) return float(8);
      if (info === 31) throw new CborError("break outside an indefinite-length item at byte " + at);
      if (info === 24 && byte() < 32) throw new CborError("malformed simple value at byte " + at);
      if (info >= 28) throw new CborError("reserved additional information " + info + " at byte " + at);
      throw new CborError((info === 23 ? "undefined" : "a simple value") + " at byte " + at + " is not part of the frame format");
    }
    if (major === 2) {
      if (info !== 31) arg(info);
      throw new CborError("byte string at byte " + at + " is not part of the frame format");
    }
    if (major === 6) {
      if (info !== 31) arg(info);
      throw new CborError("tag at byte " + at + " is not part of the frame format");
    }
    if (info === 31) {
      if (major === 4) {
        out = [];
        while (!isBreak()) out.push(item(depth + 1));
        return out;
      }
      if (major === 5) {
        out = new CborMap();
        while (!isBreak()) put(out, depth);
        return out;
      }
      if (major === 3) {
        /* Chunks are definite-length text strings, each valid UTF-8 on its own (RFC 8949 section 3.2.3). */
        out = "";
        while (!isBreak()) {
          var cb = byte();
          if (cb >> 5 !== 3 || (cb & 31) === 31) throw new CborError("indefinite-length text string at byte " + at + " holds something else than text chunks");
          out += text(arg(cb & 31));
        }
        return out;
      }
      throw new CborError("indefinite length on major type " + major + " at byte " + at);
    }
    n = arg(info);
    if (major === 0) return n;
    if (major === 1) return -1 - n;
    if (major === 3) return text(n);
    if (major === 4) {
      if (n > bytes.length - pos) throw new CborError("array longer than the frame at byte " + at);
      out = [];
      for (i = 0; i < n; i++) out.push(item(depth + 1));
      return out;
    }
    /* major 5 */
    if (n * 2 > bytes.length - pos) throw new CborError("map longer than the frame at byte " + at);
    out = new CborMap();
    for (i = 0; i < n; i++) put(out, depth);
    return out;
  }
  var value = item(0);
  if (pos !== bytes.length) throw new CborError((bytes.length - pos) + " bytes after the end of the frame");
  return value;
}

/* ------------------------------------------------------------------ frames */

function isInt(v) {
  return typeof v === "number" && v % 1 === 0;
}
function isUint(v) {
  return isInt(v) && v >= 0;
}
function isNum(v) {
  return typeof v === "number";
}
function iso(ms) {
  return new Date(ms).toISOString();
}
function reading(ch, qty, raw, timeMs, quality) {
  var q = QUANTITIES[qty];
  var r = { channel: ch, quantity: q[0], unit: q[1], value: raw === null ? null : raw / q[2], time: iso(timeMs), quality: QUALITIES[quality] || "quality_" + quality };
  if (qty === 12 && raw !== null) r.state = SMOKE_STATES[raw] || "state_" + raw;
  return r;
}
/* A map whose keys must all be unsigned integers. */
function uintMap(m, what) {
  if (!(m instanceof CborMap)) throw new CborError(what + " is not a map");
  for (var i = 0; i < m.keys.length; i++) if (typeof m.keys[i] !== "number") throw new CborError(what + " has the text key " + JSON.stringify(m.keys[i]) + "; its keys are numbers");
  return m;
}

function decodeFrame(bytes, recvMs) {
  var f = cborDecode(bytes);
  if (!(f instanceof Array) || f.length < 3) throw new CborError("a frame is an array of at least 3 items");
  if (f[0] !== FRAME_VERSION) throw new CborError("frame version " + f[0] + " is not supported (this codec reads version " + FRAME_VERSION + ")");
  if (!isUint(f[1]) || f[1] > 65535) throw new CborError("frame sequence number is not a whole number below 65536");
  if (!isUint(f[2])) throw new CborError("frame age is not a whole number of seconds");
  var base = recvMs - f[2] * 1000;
  var out = { frame: { version: f[0], seq: f[1], time: iso(base) }, readings: [], events: [] };
  var warnings = [];
  for (var b = 3; b < f.length; b++) {
    var block = f[b];
    if (block instanceof Array) group(block, base, out, warnings);
    else if (block instanceof CborMap) notes(uintMap(block, "notes block"), base, out, warnings);
    else throw new CborError("block " + (b - 3) + " is neither a channel group nor notes");
  }
  return { data: out, warnings: warnings };
}

function group(g, base, out, warnings) {
  if (g.length < 3 || g.length % 2 !== 1) throw new CborError("a channel group has a channel and quantity-value pairs");
  var ch = g[0];
  if (!isUint(ch)) throw new CborError("channel is not a whole number");
  for (var i = 1; i < g.length; i += 2) {
    var qty = g[i];
    var x = g[i + 1];
    if (!isUint(qty)) throw new CborError("quantity code on channel " + ch + " is not a whole number");
    var known = has(QUANTITIES, qty);
    var list = known ? out.readings : [];
    if (isNum(x)) list.push(known ? reading(ch, qty, x, base, 0) : 0);
    else if (x instanceof Array && x.length === 2) {
      if (!isInt(x[0]) || !isNum(x[1])) throw new CborError("malformed reading with an offset on channel " + ch);
      if (known) list.push(reading(ch, qty, x[1], base + x[0] * 1000, 0));
    } else if (x instanceof Array && x.length >= 4) {
      var off = x[0], step = x[1], v = x[2];
      if (!isInt(off) || !isUint(step) || step === 0 || !isInt(v)) throw new CborError("malformed series on channel " + ch);
      if (known) list.push(reading(ch, qty, v, base + off * 1000, 0));
      for (var k = 3; k < x.length; k++) {
        if (!isInt(x[k])) throw new CborError("malformed series value on channel " + ch);
        v += x[k];
        if (known) list.push(reading(ch, qty, v, base + (off + step * (k - 2)) * 1000, 0));
      }
    } else if (x instanceof CborMap) {
      uintMap(x, "failed reading on channel " + ch);
      for (var j = 0; j < x.keys.length; j++) if (x.keys[j] > 2) throw new CborError("failed reading on channel " + ch + " has the unknown key " + x.keys[j]);
      var quality = x.get(0), raw = x.get(1), o = x.get(2);
      if (!isUint(quality) || quality === 0) throw new CborError("failed reading without a quality on channel " + ch);
      if (raw !== undefined && !isInt(raw)) throw new CborError("failed reading on channel " + ch + " has a value that is not a whole number");
      if (raw !== undefined && quality !== 1) throw new CborError("only an out-of-range reading keeps its value (channel " + ch + ")");
      if (o !== undefined && !isInt(o)) throw new CborError("failed reading on channel " + ch + " has an offset that is not a whole number");
      if (known) list.push(reading(ch, qty, raw === undefined ? null : raw, base + (o || 0) * 1000, quality));
    } else throw new CborError("malformed value for quantity " + qty + " on channel " + ch);
    if (!known) warnings.push("unknown quantity " + qty + " on channel " + ch + " skipped");
  }
}

function notes(n, base, out, warnings) {
  var i, k, v;
  for (i = 0; i < n.keys.length; i++) {
    k = n.keys[i];
    v = n.values[i];
    if (k === 1) events(v, base, out);
    else if (k === 2) health(v, out);
    else if (k === 3) status(v, out);
    else if (k === 4) {
      // Frames the gateway asks to be acknowledged in bulk, this one included (an answer on fPort 12).
      if (!isUint(v) || v < 1 || v > 32) throw new CborError("malformed acknowledgement request");
      out.ackRequest = v;
    } else warnings.push("unknown notes key " + k + " skipped");
  }
}

function events(list, base, out) {
  if (!(list instanceof Array)) throw new CborError("events are not a list");
  for (var i = 0; i < list.length; i++) {
    var e = list[i];
    if (!(e instanceof Array) || (e.length !== 4 && e.length !== 5) || !isUint(e[0]) || !isInt(e[1]) || !isUint(e[2]) || (e[3] !== 0 && e[3] !== 1) || (e.length === 5 && !isInt(e[4]))) throw new CborError("malformed event " + i);
    out.events.push({ channel: e[0], event: has(EVENTS, e[2]) ? EVENTS[e[2]] : "event_" + e[2], active: e[3] === 1, time: iso(base + e[1] * 1000), value: e.length === 5 ? e[4] : null });
  }
}

function health(m, out) {
  uintMap(m, "health");
  var h = {};
  for (var i = 0; i < m.keys.length; i++) {
    var key = m.keys[i];
    var val = m.values[i];
    if (!isNum(val)) throw new CborError("health figure " + key + " is not a number");
    var name = has(HEALTH, key) ? HEALTH[key] : "health_" + key;
    if (name === "firmware" && isUint(val)) val = Math.floor(val / 10000) + "." + (Math.floor(val / 100) % 100) + "." + (val % 100);
    else if (name === "link" && isUint(val)) val = LINKS[val] || "link_" + val;
    else if (has(LINK_STATES, name) && isUint(val)) val = LINK_STATES[name][val] || "state_" + val;
    else if (name === "not_started" && isUint(val)) val = partsOf(val);
    h[name] = val;
  }
  out.health = h;
}

function partsOf(bits) {
  var p = [];
  for (var i = 0; i < PARTS.length; i++) if (bits & (1 << i)) p.push(PARTS[i]);
  return p;
}

function status(m, out) {
  uintMap(m, "status");
  for (var i = 0; i < m.keys.length; i++) if (m.keys[i] < 1 || m.keys[i] > 3) throw new CborError("status has the unknown key " + m.keys[i]);
  var counter = m.get(1), result = m.get(2), detail = m.get(3);
  if (!isUint(counter) || counter > U32_MAX || !isUint(result)) throw new CborError("malformed status");
  if (detail !== undefined && typeof detail !== "string") throw new CborError("status reason is not text");
  out.status = { counter: counter, result: STATUS_RESULTS[result] || "result_" + result, detail: detail };
}

function recvMsOf(input) {
  var t = input && input.recvTime;
  if (t && typeof t.getTime === "function") return t.getTime();
  if (typeof t === "string" || typeof t === "number") { var d = new Date(t).getTime(); if (!isNaN(d)) return d; }
  return Date.now();
}

function bytesOf(input) {
  var b = input && input.bytes;
  if (!b || typeof b.length !== "number") return null;
  var out = [];
  for (var i = 0; i < b.length; i++) {
    if (!isUint(b[i]) || b[i] > 255) return null;
    out.push(b[i]);
  }
  return out;
}

function variable(input, name) {
  var v = input && input.variables;
  return v && typeof v === "object" && has(v, name) ? v[name] : undefined;
}

function decodeUplink(input) {
  var bytes = bytesOf(input);
  if (!bytes) return { errors: ["no bytes: input.bytes must be a list of byte values 0 to 255"] };
  if (bytes.length === 0) return { errors: ["empty payload"] };
  try {
    var r = decodeFrame(bytes, recvMsOf(input));
    var fmt = variable(input, "format");
    if (fmt === "senml") r.data = { senml: toSenML(r.data, variable(input, "baseName") || "") };
    else if (fmt === "ngsi-ld") r.data = toNgsiLd(r.data, variable(input, "deviceId"));
    var res = { data: r.data };
    if (r.warnings.length) res.warnings = r.warnings;
    return res;
  } catch (e) {
    return { errors: [e && e.message ? e.message : String(e)] };
  }
}

/* ------------------------------------------------------------------ downlinks */

function cborEncode(v, out) {
  function head(major, n) {
    if (n < 24) out.push((major << 5) | n);
    else if (n < 256) out.push((major << 5) | 24, n);
    else if (n < 65536) out.push((major << 5) | 25, n >> 8, n & 255);
    else out.push((major << 5) | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  }
  var i;
  if (v === true) out.push(0xf5);
  else if (v === false) out.push(0xf4);
  else if (typeof v === "number") {
    if (v % 1 !== 0 || Math.abs(v) > U32_MAX) float64(v, out);
    else if (v >= 0) head(0, v); else head(1, -1 - v);
  } else if (typeof v === "string") {
    var s = unescape(encodeURIComponent(v));
    head(3, s.length);
    for (i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  } else if (v instanceof Array) {
    head(4, v.length);
    for (i = 0; i < v.length; i++) cborEncode(v[i], out);
  } else {
    var keys = [];
    for (var k in v) if (has(v, k)) keys.push(k);
    head(5, keys.length);
    for (i = 0; i < keys.length; i++) { cborEncode(keys[i], out); cborEncode(v[keys[i]], out); }
  }
  return out;
}

/* IEEE 754 binary64, big-endian, by arithmetic (ES5.1 has no DataView); exact, with powers of two made by doubling. */
function float64(x, out) {
  var sign = x < 0 || (x === 0 && 1 / x < 0) ? 1 : 0;
  var a = Math.abs(x), e = 0, m = 0;
  if (a !== 0) {
    e = 1023;
    while (a >= 2 && e < 2046) { a /= 2; e++; }
    while (a < 1 && e > 1) { a *= 2; e--; }
    if (a < 1) { m = a * 4503599627370496; e = 0; }
    else m = (a - 1) * 4503599627370496;
  }
  var hi = sign * 0x80000000 + e * 0x100000 + Math.floor(m / 4294967296);
  var lo = m % 4294967296;
  out.push(0xfb, (hi >>> 24) & 255, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, (lo >>> 24) & 255, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255);
}

/* Downlink: [1, counter, command, ...arguments]; fPort 11. */
var DOWNLINK_PORT = 11;
/* Bulk acknowledgement: [seq, bits], bit i set when frame seq - i arrived; fPort 12. */
var ACK_PORT = 12;

function isCounter(v) {
  return isInt(v) && v >= 1 && v <= U32_MAX;
}

/* Why an option's value is refused, or "" (checked the same way in both directions). */
function optionError(name, v) {
  if (!has(OPTIONS, name)) return "options." + name + ": not a sensor option; one of " + Object.keys(OPTIONS).join(", ");
  var t = OPTIONS[name];
  if (t instanceof Array) return typeof v === "number" && isFinite(v) && v >= t[0] && v <= t[1] ? "" : "options." + name + ": a number from " + t[0] + " to " + t[1];
  if (t === "port") return isInt(v) && v >= 1 && v <= 16 ? "" : "options." + name + ": a port number from 1 to 16";
  if (t === "text") return typeof v === "string" && v.length >= 1 && v.length <= 40 ? "" : "options." + name + ": text of 1 to 40 characters";
  if (t === "bool") return typeof v === "boolean" ? "" : "options." + name + ": true or false";
  if (t === "kind") return SENSOR_KINDS.indexOf(v) >= 0 ? "" : "options.kind: one of " + SENSOR_KINDS.join(", ");
  if (t === "roms") {
    if (!(v instanceof Array) || v.length < 1 || v.length > 10) return "options.probes: a list of 1 to 10 ROM codes";
    for (var i = 0; i < v.length; i++) if (typeof v[i] !== "string" || !/^28[0-9a-fA-F]{14}$/.test(v[i])) return "options.probes[" + i + "]: a DS18B20 ROM code is 16 hex digits starting with 28";
    return "";
  }
  /* cal: the trough's two-point calibration */
  var ok = v && typeof v === "object" && !(v instanceof Array || v instanceof CborMap);
  var n = 0;
  if (ok) for (var k in v) if (has(v, k)) { n++; ok = ok && (k === "empty" || k === "full") && typeof v[k] === "number" && isFinite(v[k]) && v[k] >= 0 && v[k] <= 5; }
  return ok && n === 2 ? "" : "options.cal: { empty, full }, each a voltage from 0 to 5";
}

/* The largest payload the downlink may have: variables.maxPayload, or EU868 at variables.dataRate (DR0 if not given). */
function maxPayload(input) {
  var m = variable(input, "maxPayload");
  if (m !== undefined) return isInt(+m) && +m > 0 ? +m : -1;
  var dr = variable(input, "dataRate");
  if (dr === undefined) return EU868_MAX_PAYLOAD[0];
  return isInt(+dr) && +dr >= 0 && +dr < EU868_MAX_PAYLOAD.length ? EU868_MAX_PAYLOAD[+dr] : -1;
}

function encodeDownlink(input) {
  var d = input && input.data;
  if (!d || typeof d !== "object" || d instanceof Array) return { errors: ["data: an object with a command is needed"] };
  var max = maxPayload(input);
  if (max < 0) return { errors: ["variables.maxPayload is a byte count, variables.dataRate an EU868 data rate from 0 to 7"] };
  var msg;
  var port = DOWNLINK_PORT;
  if (d.command === "ack") {
    if (!isUint(d.seq) || d.seq > 65535) return { errors: ["seq: the sequence number of the frame that asked, 0 to 65535"] };
    if (!isUint(d.bits) || d.bits > U32_MAX) return { errors: ["bits: a 32-bit map of the frames received"] };
    msg = [d.seq, d.bits];
    port = ACK_PORT;
  } else {
    if (typeof d.command !== "string" || !has(COMMANDS, d.command)) return { errors: ["unknown command " + JSON.stringify(d.command) + "; one of " + Object.keys(COMMANDS).join(", ") + ", ack"] };
    var cmd = COMMANDS[d.command];
    if (!isCounter(d.counter)) return { errors: ["counter: a whole number from 1 to 4294967295, above the last one the gateway accepted"] };
    msg = [DOWNLINK_VERSION, d.counter, cmd];
    if (cmd === 1) {
      if (!isInt(d.seconds) || d.seconds < 10 || d.seconds > 86400) return { errors: ["seconds: 10 to 86400"] };
      msg.push(d.seconds);
    } else if (cmd === 2) {
      if (!isInt(d.sensor) || d.sensor < 0 || d.sensor > 14) return { errors: ["sensor: the sensor's index in the site configuration, 0 to 14"] };
      var o = d.options;
      if (!o || typeof o !== "object" || o instanceof Array) return { errors: ["options: an object of the sensor options to change"] };
      var n = 0;
      for (var k in o) if (has(o, k)) {
        n++;
        var err = optionError(k, o[k]);
        if (err) return { errors: [err] };
      }
      if (!n) return { errors: ["options: at least one option to change"] };
      msg.push(d.sensor, o);
    }
  }
  var bytes = cborEncode(msg, []);
  if (bytes.length > max) return { errors: ["the downlink takes " + bytes.length + " bytes, more than the " + max + " this data rate carries: change fewer options at once"] };
  return { bytes: bytes, fPort: port };
}

/* A decoded options map as a plain object: its keys are checked sensor options, so none can touch a prototype. */
function optionsOf(m) {
  if (!(m instanceof CborMap) || !m.keys.length) throw new CborError("sensor options are not a map");
  var o = {};
  for (var i = 0; i < m.keys.length; i++) {
    var k = m.keys[i];
    var v = m.values[i];
    if (typeof k !== "string") throw new CborError("sensor option keys are text");
    if (v instanceof CborMap) {
      var c = {};
      for (var j = 0; j < v.keys.length; j++) {
        if (v.keys[j] !== "empty" && v.keys[j] !== "full") throw new CborError("options." + k + " has the unknown key " + JSON.stringify(v.keys[j]));
        c[v.keys[j]] = v.values[j];
      }
      v = c;
    }
    var err = optionError(k, v);
    if (err) throw new CborError(err);
    o[k] = v;
  }
  return o;
}

function decodeDownlink(input) {
  var bytes = bytesOf(input);
  if (!bytes) return { errors: ["no bytes: input.bytes must be a list of byte values 0 to 255"] };
  try {
    var m = cborDecode(bytes);
    if (input.fPort === ACK_PORT) {
      if (!(m instanceof Array) || m.length !== 2 || !isUint(m[0]) || m[0] > 65535 || !isUint(m[1]) || m[1] > U32_MAX) throw new CborError("not an acknowledgement");
      return { data: { command: "ack", seq: m[0], bits: m[1] } };
    }
    if (!(m instanceof Array) || m.length < 3 || m[0] !== DOWNLINK_VERSION) throw new CborError("not a version 1 downlink");
    if (!isCounter(m[1])) throw new CborError("counter is not a whole number from 1 to 4294967295");
    if (!isUint(m[2]) || !has(COMMAND_NAMES, m[2])) throw new CborError("unknown command " + JSON.stringify(m[2]));
    var d = { command: COMMAND_NAMES[m[2]], counter: m[1] };
    var args = m[2] === 1 ? 1 : m[2] === 2 ? 2 : 0;
    if (m.length !== 3 + args) throw new CborError(d.command + " takes " + args + " argument" + (args === 1 ? "" : "s"));
    if (m[2] === 1) {
      if (!isInt(m[3]) || m[3] < 10 || m[3] > 86400) throw new CborError("seconds: 10 to 86400");
      d.seconds = m[3];
    }
    if (m[2] === 2) {
      if (!isInt(m[3]) || m[3] < 0 || m[3] > 14) throw new CborError("sensor: 0 to 14");
      d.sensor = m[3];
      d.options = optionsOf(m[4]);
    }
    return { data: d };
  } catch (e) {
    return { errors: [e && e.message ? e.message : String(e)] };
  }
}

/* ------------------------------------------------------------------ other forms */

function quantityCode(name) {
  for (var c in QUANTITIES) if (has(QUANTITIES, c) && QUANTITIES[c][0] === name) return +c;
  return 0;
}
function number12(v) {
  return +v.toPrecision(12);
}

/*
 * SenML (RFC 8428): a record per reading, named "<channel>/<quantity>", in
 * SenML's registered units (RFC 8428 section 12.1; none of those it marks NOT
 * RECOMMENDED): a ratio is "/" from 0 to 1, volumes m3, flows m3/s. A pump's
 * running state is a boolean value. A failed reading is a string value with
 * its quality, "<channel>/<quantity>/quality". Events are boolean records
 * named "<channel>/event/<event>", health figures "health/<name>", the
 * answer to a downlink "status/<counter>" with its result.
 * The base name goes on the first record, whatever it holds.
 */
function toSenML(data, baseName) {
  var out = [];
  var i, r, rec;
  for (i = 0; i < data.readings.length; i++) {
    r = data.readings[i];
    var q = QUANTITIES[quantityCode(r.quantity)];
    var t = new Date(r.time).getTime() / 1000;
    var n = r.channel + "/" + r.quantity;
    if (r.quality !== "ok" || r.value === null) rec = { n: n + "/quality", vs: r.quality, t: t };
    else if (r.quantity === "running") rec = { n: n, vb: r.value === 1, t: t };
    else if (r.quantity === "smoke_state") rec = { n: n, vs: r.state, t: t };
    else {
      rec = { n: n, v: number12(r.value * q[2] * q[4]), t: t };
      if (q[3]) rec.u = q[3];
    }
    out.push(rec);
  }
  for (i = 0; i < data.events.length; i++) {
    var e = data.events[i];
    rec = { n: e.channel + "/event/" + e.event, vb: e.active, t: new Date(e.time).getTime() / 1000 };
    out.push(rec);
  }
  var ft = new Date(data.frame.time).getTime() / 1000;
  if (data.health) for (var h in data.health) if (has(data.health, h)) {
    var val = data.health[h];
    if (typeof val === "string") rec = { n: "health/" + h, vs: val, t: ft };
    else if (val instanceof Array) rec = { n: "health/" + h, vs: val.join(","), t: ft };
    else if (h === "supply_mv") rec = { n: "health/supply", u: "V", v: number12(val / 1000), t: ft };
    else if (h === "airtime_ms") rec = { n: "health/airtime", u: "s", v: number12(val / 1000), t: ft };
    else rec = { n: "health/" + h, u: HEALTH_UNITS[h] || "count", v: val, t: ft };
    out.push(rec);
  }
  if (data.status) {
    rec = { n: "status/" + data.status.counter, vs: data.status.result, t: ft };
    out.push(rec);
  }
  if (out.length && baseName) {
    var first = { bn: baseName };
    for (var k in out[0]) if (has(out[0], k)) first[k] = out[0][k];
    out[0] = first;
  }
  return out;
}

/* An NGSI-LD id's name part: letters, digits and - . _ ~ as they are, anything else percent-encoded (RFC 3986, RFC 8141). */
function urnPart(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
}

/*
 * NGSI-LD (ETSI GS CIM 009), in the temporal representation of an entity: a
 * Smart Data Models Device, each channel and quantity a Property holding one
 * instance per observation time (observedAt), so no reading of a series is
 * lost. Events are Properties too ("ch<channel>_<event>", true when raised).
 * The device's id comes from the deviceId variable, which is required: one
 * id for every gateway would merge them all into one entity.
 */
function toNgsiLd(data, deviceId) {
  if (typeof deviceId !== "string" || !deviceId.length) throw new CborError("set the device variable deviceId (the gateway's name or DevEUI) for the NGSI-LD form");
  var e = { id: "urn:ngsi-ld:Device:" + urnPart(deviceId), type: "Device", "@context": ["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld", "https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld"] };
  var i, name;
  function add(name, p) {
    if (!has(e, name)) e[name] = [];
    e[name].push(p);
  }
  for (i = 0; i < data.readings.length; i++) {
    var r = data.readings[i];
    if (r.quality !== "ok") continue;
    name = "ch" + r.channel + "_" + r.quantity;
    add(name, { type: "Property", value: r.value, unitCode: QUANTITIES[quantityCode(r.quantity)][5], observedAt: r.time });
  }
  for (i = 0; i < data.events.length; i++) {
    var ev = data.events[i];
    add("ch" + ev.channel + "_" + ev.event, { type: "Property", value: ev.active, observedAt: ev.time });
  }
  if (data.health) for (var h in data.health) if (has(data.health, h)) add("health_" + h, { type: "Property", value: data.health[h], observedAt: data.frame.time });
  return e;
}

if (typeof module !== "undefined" && module.exports) {
  module.exports = { decodeUplink: decodeUplink, encodeDownlink: encodeDownlink, decodeDownlink: decodeDownlink, toSenML: toSenML, toNgsiLd: toNgsiLd, cborDecode: cborDecode, CborMap: CborMap, QUANTITIES: QUANTITIES, EVENTS: EVENTS, OPTIONS: OPTIONS, STATUS_RESULTS: STATUS_RESULTS, SENSOR_KINDS: SENSOR_KINDS, DOWNLINK_PORT: DOWNLINK_PORT, ACK_PORT: ACK_PORT };
}
