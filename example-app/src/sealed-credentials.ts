import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import type { OAuth1Credentials } from '../../src/index.js'

/** Seals credentials for storage and opens them again; see {@link createCredentialSealer}. */
export interface CredentialSealer {
  /** AES-256-GCM ciphertext of the credentials, as `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url). */
  seal (credentials: OAuth1Credentials): string
  /** The credentials, or `undefined` when the text is not a sealed value of one of the keys or not credentials. */
  open (text: unknown): OAuth1Credentials | undefined
}

const aad = Buffer.from('fastify-oauth1-example:credentials:v1')

interface Key {
  id: string
  key: Buffer
}

function deriveKey (secret: string): Key {
  const key = Buffer.from(hkdfSync('sha256', secret, 'fastify-oauth1-example', 'stored credentials v1', 32))
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key }
}

function isStringRecord (value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
}

function asCredentials (value: unknown): OAuth1Credentials | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const item = value as Record<string, unknown>
  if (typeof item.token !== 'string' || item.token === '' || typeof item.tokenSecret !== 'string') return undefined
  if (!isStringRecord(item.extra) || typeof item.connectedAt !== 'number') return undefined
  const credentials: OAuth1Credentials = { token: item.token, tokenSecret: item.tokenSecret, extra: item.extra, connectedAt: item.connectedAt }
  if (typeof item.user === 'object' && item.user !== null) {
    const user = item.user as Record<string, unknown>
    credentials.user = {
      ...(typeof user.id === 'string' ? { id: user.id } : {}),
      ...(typeof user.name === 'string' ? { name: user.name } : {})
    }
  }
  return credentials
}

/**
 * Authenticated encryption (AES-256-GCM, NIST SP 800-38D) of a user's token credentials, so the
 * session store (Redis) never holds an access-token secret in clear. Keys are derived from the
 * given secrets with HKDF-SHA256 (RFC 5869). The first secret seals; every secret opens, so a
 * key is rotated by putting the new secret first and dropping the old one once sessions expired.
 */
export function createCredentialSealer (secrets: readonly string[]): CredentialSealer {
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret.length < 32)) {
    throw new TypeError('createCredentialSealer needs one or more secrets of 32+ characters')
  }
  const keys = secrets.map(deriveKey)
  const current = keys[0] as Key
  return {
    seal (credentials) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', current.key, iv)
      cipher.setAAD(aad)
      const body = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()])
      return ['v1', current.id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
    },
    open (text) {
      if (typeof text !== 'string') return undefined
      const [version, id, iv, body, tag, extra] = text.split('.')
      if (version !== 'v1' || extra !== undefined || iv === undefined || body === undefined || tag === undefined) return undefined
      const key = keys.find((candidate) => candidate.id === id)
      if (key === undefined) return undefined
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), { authTagLength: 16 })
        decipher.setAAD(aad)
        decipher.setAuthTag(Buffer.from(tag, 'base64url'))
        const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()])
        return asCredentials(JSON.parse(plain.toString('utf8')))
      } catch {
        return undefined
      }
    }
  }
}
