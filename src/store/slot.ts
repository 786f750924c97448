/**
 * The second app slot, kept in the flash store's pages so that writing an
 * update never makes Storage trash (docs/storage-layout.md, "The app slot").
 * The image lies contiguous in fg.store, so it can be read back with
 * Storage.read(fg.store, offset, length) as one view of flash and evaluated
 * from there. Whether the slot holds a whole image is two settings written
 * last: (generation, CRC-32) and then (generation, length). Until both are
 * written the slot is empty; a power cut while writing leaves it so.
 *
 * This is the store's part of updates: what the updater writes and checks
 * before any image is run.
 */
import { ID, FILE_STORE } from "./storage-layout";
import { counterGet, counterWrite } from "./settings";
import { slotArea } from "./store";
import { pageAddr } from "./pages";
import { S, F } from "./builtin";

let generation = 0;
let written = 0;

/** Bytes the slot can hold: 0 on boards with one slot. */
export function slotCapacity(): number {
  return slotArea.pages * slotArea.pageBytes;
}

/** Starts writing a new image of `length` bytes: the slot reads empty from here until slotCommit(). */
export function slotBegin(length: number): void {
  if (length <= 0 || length > slotCapacity()) throw new Error("an image of " + length + " bytes does not fit the slot's " + slotCapacity());
  generation = counterGet(ID.slot)[0] + 1;
  written = 0;
  counterWrite(ID.slot, generation, 0);
}

/** Appends the next bytes of the image, erasing each page as the image reaches it. False when flash did not take them. */
export function slotWrite(bytes: Uint8Array): boolean {
  const pb = slotArea.pageBytes;
  for (let i = 0; i < bytes.length; ) {
    if (written % pb === 0) F.erasePage(pageAddr(slotArea, (written / pb) | 0));
    const n = Math.min(bytes.length - i, pb - (written % pb));
    const chunk = new Uint8Array(bytes.buffer, bytes.byteOffset + i, n);
    const at = slotArea.addr + written;
    F.write(chunk, at);
    const back = F.read(n, at);
    for (let k = 0; k < n; k++) if (back[k] !== chunk[k]) return false;
    written += n;
    i += n;
  }
  return true;
}

/** The image is whole when its CRC-32 over what flash holds is `crc`: then it is recorded, CRC first, length last. */
export function slotCommit(crc: number): boolean {
  if (!written || (E.CRC32(S.read(FILE_STORE, slotArea.fileOffset, written)!) >>> 0) !== crc >>> 0) return false;
  counterWrite(ID.slotCrc, generation, crc >>> 0);
  counterWrite(ID.slot, generation, written);
  return true;
}

/** The image in the slot, as a view of flash, or undefined when it holds none whole. */
export function slotImage(): string | undefined {
  const g = counterGet(ID.slot);
  const c = counterGet(ID.slotCrc);
  if (!g[1] || c[0] !== g[0]) return undefined;
  const image = S.read(FILE_STORE, slotArea.fileOffset, g[1])!;
  return (E.CRC32(image) >>> 0) === c[1] ? image : undefined;
}
