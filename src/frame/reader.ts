/**
 * A small CBOR (RFC 8949) reader for what the platform sends the gateway:
 * integers, floats, text, booleans, arrays and maps of them, four levels deep
 * at most. It throws on anything else, so a downlink it cannot read whole is
 * refused whole. Written by hand for the reasons given in ./cbor.ts.
 */
const f64 = new DataView(new ArrayBuffer(8));

/** What cannot be read: truncated, too deep, of a kind not read, or followed by more bytes. The caller refuses the downlink whole. */
function malformed(): never {
  throw new Error("malformed CBOR");
}

/** A small CBOR reader: integers, floats, text, booleans, arrays and maps of them. Throws on anything else. */
export function cborDecode(b: number[]): any {
  let p = 0;
  let depth = 0;
  function arg(info: number): number {
    if (info < 24) return info;
    let n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
    if (!n || p + n > b.length) malformed();
    let v = 0;
    while (n--) v = v * 256 + b[p++];
    return v;
  }
  function item(): any {
    if (p >= b.length || ++depth > 4) malformed();
    const ib = b[p++];
    const major = ib >> 5;
    if (major === 7) {
      depth--;
      if (ib === 0xf4) return false;
      if (ib === 0xf5) return true;
      const size = ib === 0xfa ? 4 : ib === 0xfb ? 8 : 0;
      if (!size || p + size > b.length) malformed();
      for (let i = 0; i < size; i++) f64.setUint8(i, b[p++]);
      return size === 4 ? f64.getFloat32(0) : f64.getFloat64(0);
    }
    const n = arg(ib & 31);
    let out: any;
    if (major === 0) out = n;
    else if (major === 1) out = -1 - n;
    else if (major === 3) {
      if (p + n > b.length) malformed();
      out = "";
      for (let i = 0; i < n; i++) out += String.fromCharCode(b[p++]);
    } else if (major === 4) {
      out = [];
      for (let i = 0; i < n; i++) out.push(item());
    } else if (major === 5) {
      out = {};
      for (let i = 0; i < n; i++) {
        const k = item();
        out[k] = item();
      }
    } else malformed();
    depth--;
    return out;
  }
  const v = item();
  if (p !== b.length) malformed();
  return v;
}

