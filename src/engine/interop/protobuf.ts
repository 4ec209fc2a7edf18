/**
 * A minimal protocol-buffers writer (wire format only: varints, 32-bit floats, length-delimited
 * fields, nested messages), enough to write ONNX's ModelProto. Written here rather than taken from
 * protobufjs because the ONNX writer needs a dozen fields of six messages and no reading, schema
 * or reflection, and the studio worker should not carry a protobuf runtime for that.
 *
 * Owns: `ProtoWriter`. Imports nothing.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private varint(v: bigint): void {
    // Negative values are written as their 64-bit two's complement (10 bytes), as protobuf does.
    let x = v < 0n ? (1n << 64n) + v : v;
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) byte |= 0x80;
      out.push(byte);
    } while (x > 0n);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(BigInt(v));
    return this;
  }

  ints(field: number, vs: readonly (number | bigint)[]): this {
    for (const v of vs) this.int(field, v);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
