import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto'
import { RandomPool } from '../../protocol/random-pool.js'
import { invalidOption } from '../../errors.js'

/** Authenticated encryption with a list of secrets: the first seals, every one opens (key rotation). */
export interface Sealer {
  /** Encrypts and authenticates `plaintext`, bound to `context` (e.g. a cookie name); base64url. */
  seal (plaintext: string, context: string): string
  /** The plaintext, or `undefined` when the value was tampered with, sealed for another context or with an unknown secret. */
  open (sealed: string, context: string): string | undefined
}

/** Shortest secret accepted (characters). */
export const minSecretLength = 32

const version = 1
const ivLength = 12
const tagLength = 16
const header = 1 + ivLength + tagLength
// IVs from one CSPRNG fill per 256 values, none handed out twice.
const ivPool = new RandomPool(ivLength * 256)

/** The additional data of a context: a cookie or session key name, the same few on every call. */
function aadOf (cache: Map<string, Buffer>, context: string): Buffer {
  let aad = cache.get(context)
  if (aad === undefined) {
    if (cache.size >= 64) cache.clear()
    aad = Buffer.from(context, 'utf8')
    cache.set(context, aad)
  }
  return aad
}

/**
 * Checks a secret or a list of secrets (each at least {@link minSecretLength} characters) and
 * returns them as a list, first one first.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` naming `option`.
 */
export function secretList (value: unknown, option: string): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.some((secret) => typeof secret !== 'string' || secret.length < minSecretLength)) {
    invalidOption(option, `a secret of at least ${minSecretLength} random characters (openssl rand -base64 32), ` +
      'or a list of them (the first encrypts, all decrypt)')
  }
  return list as string[]
}

/**
 * AES-256-GCM sealing (NIST SP 800-38D) with keys derived once from each secret by HKDF-SHA256
 * (RFC 5869). A sealed value is `base64url(version | iv | tag | ciphertext)`; `context` is the
 * additional authenticated data, so a value copied under another name does not open.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when a secret is missing or shorter than 32 characters.
 */
export function createSealer (secrets: string | readonly string[], option = 'secret', purpose = 'fastify-oauth1 seal v1'): Sealer {
  const keys = secretList(secrets, option).map((secret) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), purpose, 32)))
  const first = keys[0] as Buffer
  const aads = new Map<string, Buffer>()
  return {
    seal (plaintext, context) {
      const body = Buffer.from(plaintext, 'utf8')
      // GCM is a stream mode: the ciphertext is as long as the plaintext.
      const out = Buffer.allocUnsafe(header + body.length)
      out[0] = version
      ivPool.copyTo(out, 1, ivLength)
      const cipher = createCipheriv('aes-256-gcm', first, out.subarray(1, 1 + ivLength))
      cipher.setAAD(aadOf(aads, context))
      const encrypted = cipher.update(body)
      encrypted.copy(out, header)
      cipher.final().copy(out, header + encrypted.length)
      cipher.getAuthTag().copy(out, 1 + ivLength)
      return out.toString('base64url')
    },
    open (sealed, context) {
      if (typeof sealed !== 'string' || sealed.length > 8192) return undefined
      const raw = Buffer.from(sealed, 'base64url')
      if (raw.length < header || raw[0] !== version) return undefined
      const iv = raw.subarray(1, 1 + ivLength)
      const tag = raw.subarray(1 + ivLength, header)
      const body = raw.subarray(header)
      for (const key of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: tagLength })
          decipher.setAAD(aadOf(aads, context))
          decipher.setAuthTag(tag)
          return decipher.update(body, undefined, 'utf8') + decipher.final('utf8')
        } catch {}
      }
      return undefined
    }
  }
}
