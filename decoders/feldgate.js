/*
 * feldgate payload codec for The Things Stack and ChirpStack v4 (TS013 style:
 * decodeUplink, encodeDownlink, decodeDownlink). ECMAScript 5.1, no require,
 * standalone. Frame format: docs/frame-format.md in the feldgate repository.
 * Also exports toSenML (RFC 8428) and toNgsiLd (FIWARE NGSI-LD) forms.
 * Its CBOR reader is its own on purpose, not a copy of the firmware's writer:
 * the tests hold the two (and cbor-x) against each other as independent oracles.
 * Apache-2.0.
 */

var FRAME_VERSION = 1;
var DOWNLINK_VERSION = 1;
var MAX_DEPTH = 6;
var MAX_ITEMS = 2048;

/* code: [name, unit, divisor, SenML unit, SenML factor, UN/CEFACT code] */
var QUANTITIES = {
  1: ["supply_voltage", "V", 1000, "V", 0.001, "VLT"],
  2: ["board_temperature", "Cel", 10, "Cel", 0.1, "CEL"],
  3: ["level", "mm", 1, "m", 0.001, "MMT"],
  4: ["fill", "%", 10, "%", 0.1, "P1"],
  5: ["volume", "L", 1, "l", 1, "LTR"],
  6: ["running", "", 1, "/", 1, "C62"],
  7: ["pressure", "mbar", 1, "Pa", 100, "MBR"],
  8: ["flow", "L/h", 1, "l/s", 1 / 3600, "E32"],
  9: ["total_volume", "L", 1, "l", 1, "LTR"],
  10: ["run_time", "min", 1, "s", 60, "MIN"],
  11: ["starts", "", 1, "count", 1, "C62"],
  12: ["smoke_state", "", 1, "", 1, "C62"],
  13: ["stage", "mm", 1, "m", 0.001, "MMT"],
  14: ["temperature", "Cel", 10, "Cel", 0.1, "CEL"],
  15: ["soil_moisture", "%", 10, "%", 0.1, "P1"],
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
var LINKS = ["none", "lorawan", "wifi-mqtt", "wifi-http"];
/* Health key 23: the parts that did not start, one bit each. */
var PARTS = ["lorawan", "wifi", "sensors"];
/* Each link's state (health keys 14 and 18). */
var LINK_STATES = { lorawan_state: ["modem_not_ready", "joining", "joined"], wifi_state: ["no_wifi", "no_platform", "connected"] };
var STATUS_RESULTS = ["accepted", "malformed", "unknown_command", "out_of_range", "replayed", "rejected"];
var COMMANDS = { set_interval: 1, set_sensor: 2, read_now: 3, reboot: 4, report_status: 5 };
var COMMAND_NAMES = { 1: "set_interval", 2: "set_sensor", 3: "read_now", 4: "reboot", 5: "report_status" };

/* ------------------------------------------------------------------ CBOR reader (RFC 8949) */

function CborError(message) {
  this.message = message;
}
CborError.prototype = Object.create(Error.prototype);
CborError.prototype.name = "CborError";

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
  function arg(info) {
    if (info < 24) return info;
    if (info === 24) return byte();
    if (info === 25) { need(2); var v2 = (bytes[pos] << 8) | bytes[pos + 1]; pos += 2; return v2; }
    if (info === 26) { need(4); var v4 = ((bytes[pos] << 24) >>> 0) + ((bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]); pos += 4; return v4; }
    if (info === 27) {
      need(8);
      var hi = ((bytes[pos] << 24) >>> 0) + ((bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]);
      var lo = ((bytes[pos + 4] << 24) >>> 0) + ((bytes[pos + 5] << 16) | (bytes[pos + 6] << 8) | bytes[pos + 7]);
      pos += 8;
      if (hi >= 0x200000) throw new CborError("integer beyond 2^53");
      return hi * 4294967296 + lo;
    }
    throw new CborError("reserved additional information " + info);
  }
  function half(h) {
    var e = (h >> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
    if (e === 0) return s * m * Math.pow(2, -24);
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (1 + m / 1024) * Math.pow(2, e - 15);
  }
  /* IEEE 754 binary32 / binary64, big-endian, by arithmetic: ES5.1 has no DataView. */
  function float(n) {
    need(n);
    var ebits = n === 4 ? 8 : 11, mbits = n * 8 - 1 - ebits, bias = (1 << (ebits - 1)) - 1;
    var sign = bytes[pos] & 0x80 ? -1 : 1, e = 0, m = 0, bit = 1, i;
    for (i = 1; i <= ebits; i++) e = e * 2 + ((bytes[pos + ((i / 8) | 0)] >> (7 - (i % 8))) & 1);
    for (i = ebits + 1; i < n * 8; i++) m = m * 2 + ((bytes[pos + ((i / 8) | 0)] >> (7 - (i % 8))) & 1);
    pos += n;
    bit = Math.pow(2, mbits);
    if (e === 0) return sign * m / bit * Math.pow(2, 1 - bias);
    if (e === (1 << ebits) - 1) return m ? NaN : sign * Infinity;
    return sign * (1 + m / bit) * Math.pow(2, e - bias);
  }
  function item(depth) {
    if (depth > MAX_DEPTH) throw new CborError("nested deeper than " + MAX_DEPTH);
    if (++items > MAX_ITEMS) throw new CborError("more than " + MAX_ITEMS + " items");
    var ib = byte();
    var major = ib >> 5;
    var info = ib & 31;
    var n, i, out, s;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      if (info === 23) return undefined;
      if (info === 25) { need(2); var h = (bytes[pos] << 8) | bytes[pos + 1]; pos += 2; return half(h); }
      if (info === 26) return float(4);
      if (info === 27) return float(8);
      if (info === 31) throw new CborError("unexpected break");
      if (info < 24) return { simple: info };
      return { simple: byte() };
    }
    if (info === 31) {
      if (major === 4) {
        out = [];
        while (true) { need(1); if (bytes[pos] === 0xff) { pos++; return out; } out.push(item(depth + 1)); }
      }
      if (major === 5) {
        out = {};
        while (true) { need(1); if (bytes[pos] === 0xff) { pos++; return out; } var k = item(depth + 1); out[k] = item(depth + 1); }
      }
      if (major === 2 || major === 3) {
        s = major === 2 ? [] : "";
        while (true) {
          need(1);
          if (bytes[pos] === 0xff) { pos++; return s; }
          var chunk = item(depth + 1);
          s = major === 2 ? s.concat(chunk) : s + chunk;
        }
      }
      throw new CborError("indefinite length on major type " + major);
    }
    n = arg(info);
    if (major === 0) return n;
    if (major === 1) return -1 - n;
    if (major === 2 || major === 3) {
      need(n);
      var slice = [];
      for (i = 0; i < n; i++) slice.push(bytes[pos + i]);
      pos += n;
      if (major === 2) return slice;
      s = "";
      for (i = 0; i < n; i++) s += String.fromCharCode(slice[i]);
      try { return decodeURIComponent(escape(s)); } catch (e) { throw new CborError("text string is not UTF-8"); }
    }
    if (major === 4) {
      if (n > bytes.length - pos) throw new CborError("array longer than the frame");
      out = [];
      for (i = 0; i < n; i++) out.push(item(depth + 1));
      return out;
    }
    if (major === 5) {
      if (n * 2 > bytes.length - pos) throw new CborError("map longer than the frame");
      out = {};
      for (i = 0; i < n; i++) { var key = item(depth + 1); out[key] = item(depth + 1); }
      return out;
    }
    /* major 6: a tag; the frame format uses none, so its content is taken as is */
    return item(depth + 1);
  }
  var value = item(0);
  if (pos !== bytes.length) throw new CborError((bytes.length - pos) + " bytes after the end of the frame");
  return value;
}

/* ------------------------------------------------------------------ frames */

function isInt(v) {
  return typeof v === "number" && v % 1 === 0;
}
function isNum(v) {
  return typeof v === "number" && !isNaN(v);
}
function iso(ms) {
  return new Date(ms).toISOString();
}
function scaled(qty, raw) {
  var q = QUANTITIES[qty];
  var v = raw / q[2];
  return q[2] === 1 ? v : Math.round(v * q[2]) / q[2];
}
function reading(ch, qty, raw, timeMs, quality) {
  var q = QUANTITIES[qty];
  var r = { channel: ch, quantity: q[0], unit: q[1], value: raw === null ? null : scaled(qty, raw), time: iso(timeMs), quality: QUALITIES[quality] || "quality_" + quality };
  if (qty === 12 && raw !== null) r.state = SMOKE_STATES[raw] || "state_" + raw;
  return r;
}

function decodeFrame(bytes, recvMs) {
  var f = cborDecode(bytes);
  if (!Array.isArray(f) || f.length < 3) throw new CborError("a frame is an array of at least 3 items");
  if (f[0] !== FRAME_VERSION) throw new CborError("frame version " + f[0] + " is not supported (this codec reads version " + FRAME_VERSION + ")");
  if (!isInt(f[1]) || f[1] < 0) throw new CborError("frame sequence number is not a whole number");
  if (!isInt(f[2]) || f[2] < 0) throw new CborError("frame age is not a whole number of seconds");
  var base = recvMs - f[2] * 1000;
  var out = { frame: { version: f[0], seq: f[1], time: iso(base) }, readings: [], events: [] };
  var warnings = [];
  for (var b = 3; b < f.length; b++) {
    var block = f[b];
    if (block instanceof Array) group(block, base, out, warnings);
    else if (block && typeof block === "object") notes(block, base, out, warnings);
    else throw new CborError("block " + (b - 3) + " is neither a channel group nor notes");
  }
  return { data: out, warnings: warnings };
}

function group(g, base, out, warnings) {
  if (g.length < 3 || g.length % 2 !== 1) throw new CborError("a channel group has a channel and quantity-value pairs");
  var ch = g[0];
  if (!isInt(ch) || ch < 0) throw new CborError("channel is not a whole number");
  for (var i = 1; i < g.length; i += 2) {
    var qty = g[i];
    var x = g[i + 1];
    if (!isInt(qty)) throw new CborError("quantity code is not a whole number");
    if (!QUANTITIES[qty]) {
      warnings.push("unknown quantity " + qty + " on channel " + ch + " skipped");
      continue;
    }
    if (isNum(x)) out.readings.push(reading(ch, qty, x, base, 0));
    else if (x instanceof Array && x.length === 2 && isInt(x[0]) && isNum(x[1])) out.readings.push(reading(ch, qty, x[1], base + x[0] * 1000, 0));
    else if (x instanceof Array && x.length >= 3) {
      var off = x[0], step = x[1], v = x[2];
      if (!isInt(off) || !isInt(step) || step <= 0 || !isNum(v)) throw new CborError("malformed series on channel " + ch);
      out.readings.push(reading(ch, qty, v, base + off * 1000, 0));
      for (var k = 3; k < x.length; k++) {
        if (!isNum(x[k])) throw new CborError("malformed series value on channel " + ch);
        v += x[k];
        out.readings.push(reading(ch, qty, v, base + (off + step * (k - 2)) * 1000, 0));
      }
    } else if (x && typeof x === "object" && !(x instanceof Array)) {
      if (!isInt(x[0])) throw new CborError("failed reading without a quality on channel " + ch);
      var raw = isNum(x[1]) ? x[1] : null;
      var o = isInt(x[2]) ? x[2] : 0;
      out.readings.push(reading(ch, qty, raw, base + o * 1000, x[0]));
    } else throw new CborError("malformed value for quantity " + qty + " on channel " + ch);
  }
}

function notes(n, base, out, warnings) {
  var k;
  if (n[1] !== undefined) {
    if (!(n[1] instanceof Array)) throw new CborError("events are not a list");
    for (var i = 0; i < n[1].length; i++) {
      var e = n[1][i];
      if (!(e instanceof Array) || e.length < 4 || !isInt(e[0]) || !isInt(e[1]) || !isInt(e[2])) throw new CborError("malformed event");
      out.events.push({ channel: e[0], event: EVENTS[e[2]] || "event_" + e[2], active: e[3] === 1, time: iso(base + e[1] * 1000), value: isNum(e[4]) ? e[4] : null });
    }
  }
  if (n[2] !== undefined) {
    var h = {};
    for (k in n[2]) if (Object.prototype.hasOwnProperty.call(n[2], k)) {
      var name = HEALTH[k] || "health_" + k;
      var val = n[2][k];
      if (name === "firmware" && isInt(val)) val = Math.floor(val / 10000) + "." + (Math.floor(val / 100) % 100) + "." + (val % 100);
      if (name === "link" && isInt(val)) val = LINKS[val] || val;
      if (LINK_STATES[name] && isInt(val)) val = LINK_STATES[name][val] || val;
      if (name === "not_started" && isInt(val)) val = PARTS.filter(function (p, i) { return val & (1 << i); });
      h[name] = val;
    }
    out.health = h;
  }
  if (n[3] !== undefined) {
    var s = n[3];
    out.status = { counter: s[1], result: STATUS_RESULTS[s[2]] || "result_" + s[2], detail: typeof s[3] === "string" ? s[3] : undefined };
  }
  // Frames the gateway asks to be acknowledged in bulk, this one included (an answer on fPort 12).
  if (n[4] !== undefined) {
    if (!isInt(n[4]) || n[4] < 1) throw new CborError("malformed acknowledgement request");
    out.ackRequest = n[4];
  }
  for (k in n) if (k !== "1" && k !== "2" && k !== "3" && k !== "4") warnings.push("unknown notes key " + k + " skipped");
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
  for (var i = 0; i < b.length; i++) out.push(b[i] & 255);
  return out;
}

function decodeUplink(input) {
  var bytes = bytesOf(input);
  if (!bytes) return { errors: ["no bytes"] };
  if (bytes.length === 0) return { errors: ["empty payload"] };
  try {
    var r = decodeFrame(bytes, recvMsOf(input));
    var fmt = input.variables && input.variables.format;
    if (fmt === "senml") r.data = { senml: toSenML(r.data, input.variables.baseName || "") };
    else if (fmt === "ngsi-ld") r.data = toNgsiLd(r.data, input.variables.deviceId || "feldgate");
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
  if (v === null) out.push(0xf6);
  else if (v === true) out.push(0xf5);
  else if (v === false) out.push(0xf4);
  else if (typeof v === "number") {
    if (!isFinite(v)) throw new CborError("numbers in a downlink must be finite");
    if (v % 1 !== 0 || Math.abs(v) > 4294967295) float64(v, out);
    else if (v >= 0) head(0, v); else head(1, -1 - v);
  } else if (typeof v === "string") {
    var s = unescape(encodeURIComponent(v));
    head(3, s.length);
    for (i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  } else if (v instanceof Array) {
    head(4, v.length);
    for (i = 0; i < v.length; i++) cborEncode(v[i], out);
  } else if (typeof v === "object") {
    var keys = [];
    for (var k in v) if (Object.prototype.hasOwnProperty.call(v, k)) keys.push(k);
    head(5, keys.length);
    for (i = 0; i < keys.length; i++) { cborEncode(keys[i], out); cborEncode(v[keys[i]], out); }
  } else throw new CborError("cannot encode " + typeof v);
  return out;
}

/* IEEE 754 binary64, big-endian, by arithmetic (ES5.1 has no DataView). */
function float64(x, out) {
  var sign = x < 0 || (x === 0 && 1 / x < 0) ? 1 : 0;
  var a = Math.abs(x), e = 0, m = 0;
  if (a !== 0) {
    e = Math.floor(Math.log(a) / Math.LN2);
    if (Math.pow(2, e) > a) e--;
    if (Math.pow(2, e + 1) <= a) e++;
    if (e < -1022) { m = a / Math.pow(2, -1074); e = 0; }
    else { m = (a / Math.pow(2, e) - 1) * Math.pow(2, 52); e += 1023; }
  }
  var hi = sign * 0x80000000 + e * 0x100000 + Math.floor(m / 4294967296);
  var lo = m % 4294967296;
  out.push(0xfb, (hi >>> 24) & 255, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, (lo >>> 24) & 255, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255);
}

/* Downlink: [1, counter, command, ...arguments]; fPort 11. */
var DOWNLINK_PORT = 11;
/* Bulk acknowledgement: [seq, bits], bit i set when frame seq - i arrived; fPort 12. */
var ACK_PORT = 12;

function encodeDownlink(input) {
  var d = (input && input.data) || input || {};
  if (d.command === "ack") {
    if (!isInt(d.seq) || d.seq < 0 || d.seq > 65535) return { errors: ["seq: the sequence number of the frame that asked, 0 to 65535"] };
    if (!isInt(d.bits) || d.bits < 0 || d.bits > 4294967295) return { errors: ["bits: a 32-bit map of the frames received"] };
    return { bytes: cborEncode([d.seq, d.bits], []), fPort: ACK_PORT };
  }
  var cmd = COMMANDS[d.command];
  if (!cmd) return { errors: ["unknown command " + d.command + "; one of " + Object.keys(COMMANDS).join(", ")] };
  if (!isInt(d.counter) || d.counter < 1) return { errors: ["counter: a whole number that grows with every downlink is needed"] };
  var msg = [DOWNLINK_VERSION, d.counter, cmd];
  if (cmd === 1) {
    if (!isInt(d.seconds) || d.seconds < 10 || d.seconds > 86400) return { errors: ["seconds: 10 to 86400"] };
    msg.push(d.seconds);
  } else if (cmd === 2) {
    if (!isInt(d.sensor) || d.sensor < 0 || !d.options || typeof d.options !== "object") return { errors: ["sensor (index in the site configuration) and options are needed"] };
    msg.push(d.sensor, d.options);
  }
  try {
    return { bytes: cborEncode(msg, []), fPort: DOWNLINK_PORT };
  } catch (e) {
    return { errors: [e.message] };
  }
}

function decodeDownlink(input) {
  var bytes = bytesOf(input);
  if (!bytes) return { errors: ["no bytes"] };
  try {
    var m = cborDecode(bytes);
    if (input.fPort === ACK_PORT) {
      if (!(m instanceof Array) || m.length !== 2 || !isInt(m[0]) || !isInt(m[1])) throw new CborError("not an acknowledgement");
      return { data: { command: "ack", seq: m[0], bits: m[1] } };
    }
    if (!(m instanceof Array) || m.length < 3 || m[0] !== DOWNLINK_VERSION) throw new CborError("not a version 1 downlink");
    var d = { command: COMMAND_NAMES[m[2]] || "command_" + m[2], counter: m[1] };
    if (m[2] === 1) d.seconds = m[3];
    if (m[2] === 2) { d.sensor = m[3]; d.options = m[4]; }
    return { data: d };
  } catch (e) {
    return { errors: [e.message] };
  }
}

/* ------------------------------------------------------------------ other forms */

/* SenML (RFC 8428): one record per reading, names "<channel>/<quantity>", SenML units. */
function toSenML(data, baseName) {
  var out = [];
  for (var i = 0; i < data.readings.length; i++) {
    var r = data.readings[i];
    if (r.quality !== "ok" || r.value === null) continue;
    var code = 0;
    for (var c in QUANTITIES) if (QUANTITIES[c][0] === r.quantity) code = +c;
    var q = QUANTITIES[code];
    var raw = Math.round(r.value * q[2]);
    var rec = { n: r.channel + "/" + r.quantity, v: +(raw * q[4]).toPrecision(12), t: new Date(r.time).getTime() / 1000 };
    if (q[3]) rec.u = q[3];
    if (i === 0 && baseName) rec.bn = baseName;
    out.push(rec);
  }
  return out;
}

/* FIWARE NGSI-LD: one entity per gateway, a Property per channel and quantity with its UN/CEFACT unit. */
function toNgsiLd(data, deviceId) {
  var e = { id: "urn:ngsi-ld:Device:" + deviceId, type: "Device", "@context": ["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"] };
  for (var i = 0; i < data.readings.length; i++) {
    var r = data.readings[i];
    if (r.quality !== "ok") continue;
    var code = 0;
    for (var c in QUANTITIES) if (QUANTITIES[c][0] === r.quantity) code = +c;
    e["ch" + r.channel + "_" + r.quantity] = { type: "Property", value: r.value, unitCode: QUANTITIES[code][5], observedAt: r.time };
  }
  return e;
}

if (typeof module !== "undefined" && module.exports) {
  module.exports = { decodeUplink: decodeUplink, encodeDownlink: encodeDownlink, decodeDownlink: decodeDownlink, toSenML: toSenML, toNgsiLd: toNgsiLd, cborDecode: cborDecode, QUANTITIES: QUANTITIES, EVENTS: EVENTS, DOWNLINK_PORT: DOWNLINK_PORT, ACK_PORT: ACK_PORT };
}
