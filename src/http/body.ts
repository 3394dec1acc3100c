import { ErrorCodes, OAuth1Error } from '../errors.js'
import { formatForm } from '../protocol/encoding.js'
import { findHeader, type HeaderRecord, isFormContentType } from '../protocol/headers.js'
import type { Signer } from '../signer/signer.js'
import type { Readable } from 'node:stream'
import type { QueryInput, QueryValue, RequestOptions } from './types.js'

/** A body undici sends as it is. */
export type SendableBody = string | Uint8Array | FormData | Readable | AsyncIterable<Uint8Array>

/** True for a body read as a stream (`Readable`, async iterable), which cannot be read twice. */
export function isStreamBody (body: unknown): body is Readable | AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && !(body instanceof Uint8Array) &&
    (typeof (body as Readable).pipe === 'function' || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function')
}

/** `OAUTH1_INVALID_REQUEST` for a request the client cannot send as asked. */
export function refuse (reason: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Invalid request: ${reason}`)
}

/** Serialises a query or form input with RFC 3986 encoding (`%20`, never `+`); arrays repeat the key. */
export function encodeParams (input: QueryInput): string {
  const pairs: Array<[string, string]> = []
  if (input instanceof URLSearchParams || Array.isArray(input)) {
    for (const [name, value] of input as Iterable<[string, string]>) pairs.push([name, String(value)])
  } else {
    for (const name of Object.keys(input)) {
      const value = (input as Record<string, QueryValue | readonly QueryValue[] | undefined>)[name]
      if (value === undefined) continue
      if (Array.isArray(value)) for (const item of value) pairs.push([name, String(item)])
      else pairs.push([name, String(value)])
    }
  }
  return formatForm(pairs)
}

/** Appends an encoded query (from {@link encodeParams}, not empty) to the URL's own. */
export function appendQuery (url: URL, extra: string): void {
  url.search = url.search.length > 1 ? url.search.slice(1) + '&' + extra : extra
}

/** The signed part of a `FormData`: its string fields, in order, as a form (Flickr uploads); files are never signed. */
function multipartFields (form: FormData): string {
  const pairs: Array<[string, string]> = []
  for (const [name, value] of form) if (typeof value === 'string') pairs.push([name, value])
  return formatForm(pairs)
}

/** What the signer reads of a multipart or stream body: the signed fields (a form string), or nothing. */
export interface SignBody {
  body: string | undefined
}

/** Multipart and stream bodies: what the signer reads of them (RFC 5849 §3.4.1.3.1), checked. */
export function prepareOpaqueBody (
  core: { signer: Signer, signMultipartFields: boolean }, options: RequestOptions, headers: HeaderRecord
): SignBody | undefined {
  const { body } = options
  if (body instanceof FormData) {
    if (findHeader(headers, 'content-type') !== undefined) {
      throw refuse('leave content-type out with a FormData body: undici sets multipart/form-data with its boundary')
    }
    if (core.signer.placement === 'body') throw refuse('body placement cannot carry the protocol parameters in a multipart body; use header placement')
    if (options.bodyHash !== undefined) throw refuse('bodyHash is for stream bodies; multipart bodies carry no oauth_body_hash')
    return { body: core.signMultipartFields ? multipartFields(body) : '' }
  }
  if (isStreamBody(body)) {
    if (typeof options.bodyHash !== 'string') {
      throw refuse('a stream body cannot be read twice, so it cannot be hashed for oauth_body_hash: ' +
        'compute the hash yourself and pass it as bodyHash, or send a Buffer')
    }
    if (isFormContentType(findHeader(headers, 'content-type'))) {
      throw refuse('a form body must be a string, URLSearchParams or form, not a stream: its parameters are signed')
    }
    if (core.signer.placement === 'body') throw refuse('body placement needs a form body, not a stream')
    return { body: undefined }
  }
  if (options.bodyHash !== undefined) throw refuse('bodyHash is only for stream bodies (the client hashes other bodies itself when bodyHash is on)')
  return undefined
}

/** The body undici sends: a form or JSON encoded (its content-type set unless the caller set one), else the raw body. */
export function prepareBody (options: RequestOptions, headers: HeaderRecord): SendableBody | undefined {
  let body: SendableBody | undefined
  let contentType: string | undefined
  if (options.form !== undefined) {
    body = encodeParams(options.form)
    contentType = 'application/x-www-form-urlencoded'
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    contentType = 'application/json'
  } else if (options.body instanceof URLSearchParams) {
    body = encodeParams(options.body)
    contentType = 'application/x-www-form-urlencoded'
  } else {
    body = options.body as SendableBody | undefined
  }
  if (contentType !== undefined && findHeader(headers, 'content-type') === undefined) headers['content-type'] = contentType
  return body
}
