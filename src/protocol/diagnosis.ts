import type { BaseStringDifference, SignatureDiagnosis } from '../errors.js'
import { parseForm } from './encoding.js'

export type { BaseStringDifference, SignatureDiagnosis } from '../errors.js'

const providerFields = ['debug_sbs', 'oauth_signature_base_string', 'base_string']

/**
 * Reads the provider's own signature base string from a refusal body, when it sent one
 * (Flickr: `oauth_problem=signature_invalid&debug_sbs=GET&https%3A...`).
 */
export function providerBaseString (body: string): string | undefined {
  const start = providerFields.map((name) => body.indexOf(`${name}=`)).filter((at) => at !== -1)
  if (start.length === 0) return undefined
  // The base string itself holds '&', so take everything after the field name to the end.
  const at = Math.min(...start)
  const name = providerFields.find((field) => body.startsWith(`${field}=`, at)) as string
  const raw = body.slice(at + name.length + 1).trim()
  if (!/^[A-Za-z]+%26/.test(raw)) return raw
  // Sent form-encoded once more (`GET%26https%253A...`): decode that layer.
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

function around (text: string, index: number): string {
  return text.slice(Math.max(0, index - 15), index + 25)
}

function firstParameter (ours: string, theirs: string): string | undefined {
  try {
    const left = [...parseForm(decodeURIComponent(ours))]
    const right = [...parseForm(decodeURIComponent(theirs))]
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const a = left[i]
      const b = right[i]
      if (a?.[0] !== b?.[0] || a?.[1] !== b?.[1]) return (a ?? b)?.[0]
    }
  } catch {}
  return undefined
}

/**
 * Finds where two signature base strings first differ, and in which of their three parts
 * (RFC 5849 §3.4.1.1: method `&` URI `&` parameters). Undefined when they are equal.
 */
export function baseStringDifference (ours: string, theirs: string): BaseStringDifference | undefined {
  if (ours === theirs) return undefined
  let index = 0
  while (index < ours.length && index < theirs.length && ours[index] === theirs[index]) index++
  const firstAmp = ours.indexOf('&')
  const secondAmp = ours.indexOf('&', firstAmp + 1)
  const part = firstAmp === -1 || index <= firstAmp ? 'method' : secondAmp === -1 || index <= secondAmp ? 'uri' : 'parameters'
  const difference: BaseStringDifference = { index, part, ours: around(ours, index), theirs: around(theirs, index) }
  if (part === 'parameters') {
    const parameter = firstParameter(ours.slice(secondAmp + 1), theirs.slice(theirs.indexOf('&', theirs.indexOf('&') + 1) + 1))
    if (parameter !== undefined) difference.parameter = parameter
  }
  return difference
}

const verifierPair = /(oauth_verifier%(?:25)?3D)(.*?)(?=%(?:25)?26|$)/g

/** Masks the value of `oauth_verifier` in a base string (it proves the user's approval until used). */
export function maskVerifier (baseString: string): string {
  return baseString.replace(verifierPair, (_match, name: string) => `${name}%5Bverifier%5D`)
}

/**
 * Builds the {@link SignatureDiagnosis} of a refusal from our base string and the provider's body.
 * The `oauth_verifier` value is masked in both strings (the token, which the request sends in
 * clear anyway, is kept); `secrets` (the consumer and token secrets) are cut out of the provider's
 * string, should it echo them.
 */
export function diagnoseSignature (baseString: string, providerBody: string, secrets: ReadonlyArray<string | undefined> = []): SignatureDiagnosis {
  const diagnosis: SignatureDiagnosis = { baseString: maskVerifier(baseString) }
  let theirs = providerBaseString(providerBody)
  if (theirs !== undefined) {
    for (const secret of secrets) if (secret !== undefined && secret.length >= 4) theirs = theirs.split(secret).join('[redacted]')
    theirs = maskVerifier(theirs)
    baseString = diagnosis.baseString
    diagnosis.providerBaseString = theirs
    const difference = baseStringDifference(baseString, theirs)
    if (difference !== undefined) diagnosis.difference = difference
  }
  return diagnosis
}
