import { randomFillSync } from 'node:crypto'

/**
 * Random bytes from the operating system's CSPRNG, one fill for many values: a `randomBytes` call
 * per nonce or IV costs more than the work it serves. Every byte is handed out once; the pool is
 * filled again when the next value would not fit.
 */
export class RandomPool {
  private readonly bytes: Buffer
  private offset: number

  /** @param size - bytes per fill, a multiple of the value length the caller takes. */
  constructor (size: number) {
    this.bytes = Buffer.alloc(size)
    this.offset = size
  }

  /** `length` fresh random bytes, copied into `target` at `at`. */
  copyTo (target: Buffer, at: number, length: number): void {
    const from = this.take(length)
    this.bytes.copy(target, at, from, from + length)
  }

  /** `length` fresh random bytes as base64url (RFC 4648 §5), unpadded. */
  base64url (length: number): string {
    const from = this.take(length)
    return this.bytes.toString('base64url', from, from + length)
  }

  /** `length` fresh random bytes as lower-case hex. */
  hex (length: number): string {
    const from = this.take(length)
    return this.bytes.toString('hex', from, from + length)
  }

  private take (length: number): number {
    if (this.offset + length > this.bytes.length) {
      randomFillSync(this.bytes)
      this.offset = 0
    }
    const from = this.offset
    this.offset += length
    return from
  }
}
