import { createHash, hash } from 'node:crypto'

/** The hashes HMAC signatures use (RFC 5849 §3.4.2 and the SHA-2 variants). */
export type HmacHash = 'sha1' | 'sha256' | 'sha512'

const blockSizes: Record<HmacHash, number> = { sha1: 64, sha256: 64, sha512: 128 }
const digestSizes: Record<HmacHash, number> = { sha1: 20, sha256: 32, sha512: 64 }

/** An HMAC key ready to sign: a function from a base string to its base64 HMAC. */
export type HmacSign = (message: string) => string

/**
 * Prepares an HMAC key (RFC 2104 §2): the key padded, or first hashed when it is longer than a
 * block, and XORed into the inner and outer pads once. Each signature is then two one-shot
 * hashes, `H(opad ‖ H(ipad ‖ message))`, with no HMAC object to build per call.
 *
 * The message is hashed as UTF-8 (a base string is ASCII: its parts are percent-encoded,
 * RFC 5849 §3.6).
 *
 * @see https://www.rfc-editor.org/rfc/rfc2104#section-2
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2
 */
export function prepareHmac (algorithm: HmacHash, key: string): HmacSign {
  const blockSize = blockSizes[algorithm]
  let bytes = Buffer.from(key, 'utf8')
  if (bytes.length > blockSize) bytes = createHash(algorithm).update(bytes).digest()
  const innerPad = Buffer.alloc(blockSize, 0x36)
  const outer = Buffer.alloc(blockSize + digestSizes[algorithm], 0x5c)
  for (let i = 0; i < bytes.length; i++) {
    innerPad[i] = (innerPad[i] as number) ^ (bytes[i] as number)
    outer[i] = (outer[i] as number) ^ (bytes[i] as number)
  }
  return (message: string): string => {
    const inner = Buffer.allocUnsafe(blockSize + Buffer.byteLength(message, 'utf8'))
    innerPad.copy(inner, 0)
    inner.write(message, blockSize, 'utf8')
    hash(algorithm, inner, 'buffer').copy(outer, blockSize)
    return hash(algorithm, outer, 'base64')
  }
}
