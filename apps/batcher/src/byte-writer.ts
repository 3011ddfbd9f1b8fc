/**
 * A growable byte buffer for building a file (a batch's CSV, an archive's NDJSON) without
 * intermediate strings.
 */
export class ByteWriter {
  buf: Buffer;
  length = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }

  /** ASCII text (digits, signs, fixed words). */
  ascii(text: string): void {
    const n = text.length;
    this.ensure(n);
    if (n > 32) {
      this.length += this.buf.write(text, this.length, "latin1");
      return;
    }
    // Short text: a loop beats a call into native code.
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Any text, as UTF-8. */
  utf8(text: string): void {
    this.ensure(text.length * 3);
    this.length += this.buf.write(text, this.length, "utf8");
  }

  bytes(source: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n > 32) {
      source.copy(this.buf, this.length, start, end);
    } else {
      const buf = this.buf;
      let at = this.length;
      for (let i = start; i < end; i++) buf[at++] = source[i] as number;
    }
    this.length += n;
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
