import { STATUS_CODES } from 'node:http'
import { type ClientResponse, createClient } from '../http/client.js'
import { type PresetName, resolvePreset } from '../presets/presets.js'
import { formatForm } from '../protocol/encoding.js'
import { generateNonce } from '../protocol/nonce.js'
import type { SignatureMethod } from '../protocol/signature-methods.js'
import type { SignatureDiagnosis } from '../errors.js'
import { type RequestArgs, usageError } from './args.js'
import { readConsumer, readToken } from './env.js'
import type { CliIO } from './io.js'

/** The URL to call: absolute, or relative to the preset's `baseUrl`. */
function targetOf (args: RequestArgs): URL {
  const baseUrl = resolvePreset(args.provider as PresetName | undefined)?.baseUrl
  let url: URL
  try {
    url = new URL(args.url, baseUrl)
  } catch {
    throw usageError(`Invalid URL "${args.url}"${baseUrl === undefined ? ': expected an absolute http(s) URL (or a path with --provider)' : ''}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`Invalid URL "${args.url}": expected http or https`)
  return url
}

/** The response as curl -i prints it: status line, headers, a blank line, the body. */
function printResponse (response: ClientResponse, io: CliIO): void {
  const lines = [`HTTP ${response.status} ${STATUS_CODES[response.status] ?? ''}`.trimEnd()]
  for (const [name, value] of Object.entries(response.headers)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) lines.push(`${name}: ${item}`)
  }
  io.stdout.write(lines.join('\n') + '\n\n')
  io.stdout.write(response.body)
  if (response.body.length > 0 && response.body.at(-1) !== 0x0a) io.stdout.write('\n')
}

/** What the provider said about a refused signature, next to the base string we signed. */
function printDiagnosis (diagnosis: SignatureDiagnosis, io: CliIO): void {
  io.stderr.write(`The provider refused the signature. We signed this base string:\n${diagnosis.baseString}\n`)
  if (diagnosis.providerBaseString === undefined) {
    io.stderr.write('The provider did not send its own base string (debug_sbs) to compare with.\n')
    return
  }
  io.stderr.write(`The provider computed this one:\n${diagnosis.providerBaseString}\n`)
  const difference = diagnosis.difference
  if (difference !== undefined) {
    io.stderr.write(`They differ first in the ${difference.part}${difference.parameter === undefined ? '' : ` (parameter ${difference.parameter})`}` +
      ` at character ${difference.index}:\n  ours:   ${difference.ours}\n  theirs: ${difference.theirs}\n`)
  }
}

/**
 * `fastify-oauth1 request [METHOD] URL`: one signed call, printed as status line, headers and
 * body on stdout. Keys and tokens come from the environment (two-legged without `OAUTH1_TOKEN`).
 * Exactly one request is sent, with no retry, redirect or clock-skew correction, so that
 * `--base-string` prints the signature base string (RFC 5849 §3.4.1) of the very request sent.
 * When the provider refuses the signature, our base string and the provider's (`debug_sbs`) are
 * printed on stderr with their first difference.
 *
 * @returns the exit code: 0 for a 2xx answer, 1 for any other.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for a command line or environment that cannot
 *   run; the client's errors (`OAUTH1_NETWORK`, `OAUTH1_TIMEOUT`, ...) otherwise.
 */
export async function request (args: RequestArgs, io: CliIO): Promise<number> {
  const target = targetOf(args)
  const client = createClient({
    ...readConsumer(io.env),
    ...readToken(io.env),
    provider: args.provider as PresetName | undefined,
    origins: [target.origin],
    signatureMethod: args.signatureMethod as SignatureMethod | undefined,
    placement: args.placement,
    realm: args.realm,
    userAgent: args.userAgent,
    timeout: args.timeout,
    correctClockSkew: false
  })
  try {
    const headers: Record<string, string> = Object.fromEntries(args.headers)
    let body: string | undefined
    if (args.data.length > 0) {
      body = formatForm(args.data)
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    // One nonce and timestamp for the call and for the base string printed: the same request, signed once.
    const oauth = { nonce: generateNonce(), timestamp: client.signer.timestamp() }
    if (args.baseString) {
      const signed = client.signer.sign({ method: args.method, url: target, headers, body }, { ...oauth, returnBaseString: true })
      io.stderr.write(`Signature base string (RFC 5849 §3.4.1):\n${signed.baseString ?? ''}\n`)
    }
    const response = await client.request(target, { method: args.method, headers, body, oauth })
    printResponse(response, io)
    const diagnosis = response.diagnosis()
    if (diagnosis !== undefined) printDiagnosis(diagnosis, io)
    else if (!response.ok) {
      const { problem, advice } = response.problem()
      if (problem !== undefined) {
        io.stderr.write(`The provider answered ${response.status}: oauth_problem=${problem}${advice === undefined ? '' : ` (${advice})`}\n`)
      }
    }
    return response.ok ? 0 : 1
  } finally {
    await client.close()
  }
}
