/**
 * The label for the gateway's box: a LoRa Alliance TR005 QR code ("LoRaWAN
 * Device Identification QR Codes", TR005, 2020), which The Things Stack's
 * console and most LoRaWAN apps scan to fill in an end device, with the
 * DevEUI printed under it.
 *
 * TR005's text: `LW:D0:<JoinEUI>:<DevEUI>:<ProfileID>` then optional fields
 * `:C<checksum>`, `:O<owner token>`, `:S<serial number>`, `:P<proprietary>`,
 * in that order; the EUIs 16 upper-case hex digits, the ProfileID 8 (the
 * VendorID and the vendor's profile ID, 4 each; 0000 where the device is in
 * no vendor's repository), no `:` inside a field. That is the grammar The
 * Things Stack reads and writes (lorawan-stack,
 * pkg/qrcodegenerator/qrcode/enddevices/lora_alliance_tr005.go). The label
 * carries no key: the owner token is a claim secret for join servers that
 * hold the keys, which feldgate's devices do not use, and it is left out.
 */
import QRCode from "qrcode";
import { normalEui } from "./identity";

export interface Tr005 {
  joinEui: string;
  devEui: string;
  /** VendorID and vendor profile ID, 8 hex digits. */
  profileId?: string;
  checksum?: string;
  ownerToken?: string;
  serialNumber?: string;
  proprietary?: string;
}

/** TR005's grammar, for the text this module writes and for tests. */
export const TR005_GRAMMAR = /^LW:D0:([0-9A-F]{16}):([0-9A-F]{16}):([0-9A-F]{8})(?::C([^:]+))?(?::O([^:]+))?(?::S([^:]+))?(?::P([^:]+))?$/;

/** Characters an optional field may hold here: QR alphanumeric mode without ":" and space, so the code stays small. */
const FIELD = /^[0-9A-Z$%*+\-./]+$/;

export function tr005Text(d: Tr005): string {
  const join = normalEui(d.joinEui);
  const dev = normalEui(d.devEui);
  if (!join || !dev) throw new Error("TR005 needs a JoinEUI and a DevEUI of 16 hex digits");
  const profile = (d.profileId ?? "00000000").toUpperCase();
  if (!/^[0-9A-F]{8}$/.test(profile)) throw new Error(`TR005 profile ID ${d.profileId} is not 8 hex digits (VendorID and profile ID)`);
  let s = `LW:D0:${join}:${dev}:${profile}`;
  for (const [tag, v] of [["C", d.checksum], ["O", d.ownerToken], ["S", d.serialNumber], ["P", d.proprietary]] as const) {
    if (v === undefined || v === "") continue;
    if (!FIELD.test(v)) throw new Error(`TR005 field ${tag} may hold only 0-9, A-Z and $%*+-./`);
    s += `:${tag}${v}`;
  }
  return s;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** An EUI in groups of four, as it is read aloud. */
export const grouped = (eui: string) => eui.replace(/(.{4})(?=.)/g, "$1 ");

/** Modules around the code that a scanner needs clear (ISO/IEC 18004: 4). */
const QUIET = 4;
/** Size of one module in the SVG's units (millimetres at the label's printed size). */
const MODULE = 0.5;
/** The label's width: room for the DevEUI in groups of four under the code. */
const WIDTH = 36;

/**
 * The label as SVG: the QR code drawn from qrcode's module matrix, one
 * square per dark module, then the DevEUI and a caption as text.
 */
export function labelSvg(text: string, lines: { devEui: string; caption?: string }): string {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const n = qr.modules.size;
  const side = (n + 2 * QUIET) * MODULE;
  const w = Math.max(WIDTH, side);
  const x0 = (w - side) / 2;
  const d: string[] = [];
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) if (qr.modules.get(r, c)) d.push(`M${x0 + (c + QUIET) * MODULE} ${(r + QUIET) * MODULE}h${MODULE}v${MODULE}h-${MODULE}z`);
  const h = side + 11;
  const mid = w / 2;
  // A long caption is squeezed to the label's width rather than cut off (about 0.55 em a character in a sans-serif face).
  const cap = lines.caption ?? "";
  const capSize = 2.4;
  const fit = cap.length * capSize * 0.55 > w - 2 ? ` textLength="${w - 2}" lengthAdjust="spacingAndGlyphs"` : "";
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}mm" height="${h}mm" viewBox="0 0 ${w} ${h}">`,
    `<title>${esc(text)}</title>`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<path class="qr" data-modules="${n}" data-x="${x0}" data-quiet="${QUIET}" data-module="${MODULE}" fill="#000" d="${d.join("")}"/>`,
    `<text x="${mid}" y="${side + 1.5}" font-family="sans-serif" font-size="2.2" text-anchor="middle">DevEUI</text>`,
    // Monospace at 2.8 mm: 19 characters take about 32 mm.
    `<text x="${mid}" y="${side + 5}" font-family="monospace" font-size="2.8" font-weight="bold" text-anchor="middle">${esc(grouped(normalEui(lines.devEui) ?? lines.devEui))}</text>`,
    cap ? `<text x="${mid}" y="${side + 9}" font-family="sans-serif" font-size="${capSize}" text-anchor="middle"${fit}>${esc(cap)}</text>` : "",
    `</svg>`,
    "",
  ]
    .filter(Boolean)
    .join("\n");
}

/** The dark modules of a label drawn by labelSvg, read back from its path: for tests, and to check a label before it is printed. */
export function labelModules(svg: string): boolean[][] {
  const m = /<path class="qr" data-modules="(\d+)" data-x="([\d.]+)" data-quiet="(\d+)" data-module="([\d.]+)" fill="#000" d="([^"]*)"/.exec(svg);
  if (!m) throw new Error("not a feldgate label");
  const n = Number(m[1]);
  const x0 = Number(m[2]);
  const quiet = Number(m[3]);
  const size = Number(m[4]);
  const grid = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
  for (const sq of m[5].matchAll(/M([\d.]+) ([\d.]+)h/g)) {
    const c = Math.round((Number(sq[1]) - x0) / size) - quiet;
    const r = Math.round(Number(sq[2]) / size) - quiet;
    if (r < 0 || c < 0 || r >= n || c >= n) throw new Error("a module outside the code");
    grid[r][c] = true;
  }
  return grid;
}
