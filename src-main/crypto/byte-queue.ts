/**
 * A FIFO of Buffers that hands out exact-size runs of bytes as slices of the buffers it
 * holds (no copying), so 64 KiB chunks can be cut out of whatever sizes a stream delivers.
 */
export class ByteQueue {
  private readonly buffers: Buffer[] = [];
  private head = 0;
  private offset = 0;
  length = 0;

  push(buffer: Buffer): void {
    if (buffer.length === 0) return;
    this.buffers.push(buffer);
    this.length += buffer.length;
  }

  /** Removes `count` bytes (count <= length) and returns them as one or more slices. */
  take(count: number): Buffer[] {
    const out: Buffer[] = [];
    let need = count;
    while (need > 0) {
      const buffer = this.buffers[this.head];
      if (buffer === undefined) throw new Error('ByteQueue underflow');
      const available = buffer.length - this.offset;
      if (available <= need) {
        out.push(this.offset === 0 ? buffer : buffer.subarray(this.offset));
        need -= available;
        this.buffers[this.head] = EMPTY;
        this.head++;
        this.offset = 0;
      } else {
        out.push(buffer.subarray(this.offset, this.offset + need));
        this.offset += need;
        need = 0;
      }
    }
    this.length -= count;
    if (this.head > 64 && this.head * 2 > this.buffers.length) {
      this.buffers.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }

  /** Removes `count` bytes as a single Buffer (copies only if they span several buffers). */
  takeOne(count: number): Buffer {
    const parts = this.take(count);
    return parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts, count);
  }
}

const EMPTY = Buffer.alloc(0);
