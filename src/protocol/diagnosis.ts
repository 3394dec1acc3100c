import { parseForm } from './encoding.js'

/** Where our signature base string and the provider's part ways. */
export interface BaseStringDifference {
  /** Index of the first character that differs (the shorter length when one is a prefix of the other). */
  index: number
  /** The part that differs: the method, the base string URI, or the normalized parameters (RFC 5849 §3.4.1.1). */
  part: 'method' | 'uri' | 'parameters'
  /** For `parameters`: the first parameter name whose pair differs, decoded. */
  parameter?: string
  /** Up to 40 characters of each string around the difference. */
  ours: string
  theirs: string
}

/**
 * What we know about a refused signature: the base string we signed (it holds no secret: RFC 5849
 * §3.4.1 builds it from the request alone) and, when the provider sent its own (Flickr's
 * `debug_sbs`), that one and the first difference.
 */
export interface SignatureDiagnosis {
  baseString: string
  providerBaseString?: string
  difference?: BaseStringDifference
}

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

/** Builds the {@link SignatureDiagnosis} of a refusal from our base string and the provider's body. */
export function diagnoseSignature (baseString: string, providerBody: string): SignatureDiagnosis {
  const diagnosis: SignatureDiagnosis = { baseString }
  const theirs = providerBaseString(providerBody)
  if (theirs !== undefined) {
    diagnosis.providerBaseString = theirs
    const difference = baseStringDifference(baseString, theirs)
    if (difference !== undefined) diagnosis.difference = difference
  }
  return diagnosis
}
