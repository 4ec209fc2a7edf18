/** A tiny BMP writer for tests: 24-bit or 32-bit (BI_RGB), bottom-up or top-down rows. */
export function writeBmp(opts: { width: number; height: number; rgba: Uint8Array; bpp: 24 | 32; topDown?: boolean }): Uint8Array {
  const { width, height, rgba, bpp } = opts;
  const rowBytes = Math.floor((bpp * width + 31) / 32) * 4;
  const dataOffset = 54;
  const out = new Uint8Array(dataOffset + rowBytes * height);
  const dv = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  dv.setUint32(2, out.length, true);
  dv.setUint32(10, dataOffset, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, opts.topDown ? -height : height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, bpp, true);
  dv.setUint32(30, 0, true);
  dv.setUint32(34, rowBytes * height, true);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (opts.topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 4;
      const d = row + x * (bpp / 8);
      out[d] = rgba[s + 2];
      out[d + 1] = rgba[s + 1];
      out[d + 2] = rgba[s];
      if (bpp === 32) out[d + 3] = rgba[s + 3];
    }
  }
  return out;
}
