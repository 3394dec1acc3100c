import { RandomPool } from './random-pool.js'

const pool = new RandomPool(12 * 512)

/**
 * A fresh nonce (RFC 5849 §3.3): 24 lower-case hex characters, 96 random bits from the
 * operating system's CSPRNG. Strict providers, python oauthlib's among them, accept only
 * 20 to 30 ASCII letters and digits; this fits.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.3
 */
export function generateNonce (): string {
  return pool.hex(12)
}
