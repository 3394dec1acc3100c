import { ErrorCodes, isOAuth1Error } from '../errors.js'
import { presetFactories, presets } from '../presets/presets.js'
import { parseCommandLine } from './args.js'
import { authorize } from './authorize.js'
import { credentialVariables } from './env.js'
import type { CliIO } from './io.js'
import { request } from './request.js'

export type { CliIO } from './io.js'

/** Exit codes of the bin. */
export const ExitCodes = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2 })

/** The `--help` text. */
export function usage (): string {
  return `Usage:
  fastify-oauth1 authorize (--provider NAME | --request-token-url URL --authorize-url URL --access-token-url URL) [options]
      PIN (out-of-band) sign-in: prints the authorize URL on stderr, reads the PIN from stdin,
      prints export ${credentialVariables.token}=... and export ${credentialVariables.tokenSecret}=... on stdout.
      eval "$(fastify-oauth1 authorize --provider x)"
  fastify-oauth1 request [METHOD] URL [options]
      One signed call; prints the status line, headers and body. A path is relative to the preset's API.

Keys and tokens come from the environment only, never from arguments (ps shows arguments):
  ${credentialVariables.consumerKey}, ${credentialVariables.consumerSecret}    required
  ${credentialVariables.token}, ${credentialVariables.tokenSecret}              request signs with them when set (else consumer-only)

Options:
  --provider NAME                 a preset: ${Object.keys(presets).join(', ')} (not ${Object.keys(presetFactories).join(', ')}: give their URLs)
  --signature-method M            HMAC-SHA1 (default), HMAC-SHA256, HMAC-SHA512, PLAINTEXT
  --realm R, --user-agent UA, --timeout MS
authorize:
  --request-token-url URL, --authorize-url URL, --access-token-url URL   override or replace the preset's
  --request-token-param NAME=VALUE, --authorize-param NAME=VALUE          repeatable
request:
  -X, --method M                  default GET, or POST with --data
  -d, --data NAME=VALUE           repeatable: a form body, signed
  -H, --header 'Name: value'      repeatable
  --placement header|query|body   where the protocol parameters go (default header)
  --base-string                   print the signature base string sent (RFC 5849 §3.4.1) on stderr

Exit codes: 0 success (2xx), 1 failure (other HTTP status, network, provider), 2 usage error.
`
}

/** Writes a failure as `fastify-oauth1: CODE: message` and returns its exit code. */
function report (error: unknown, io: CliIO): number {
  if (!isOAuth1Error(error)) {
    io.stderr.write(`fastify-oauth1: unexpected ${(error as Error | null)?.name ?? 'error'}: ${(error as Error | null)?.message ?? String(error)}\n`)
    return ExitCodes.FAILED
  }
  const details = [error.problem === undefined ? undefined : `oauth_problem=${error.problem}`, error.advice].filter((part) => part !== undefined)
  io.stderr.write(`fastify-oauth1: ${error.code}: ${error.message}${details.length === 0 ? '' : ` (${details.join('; ')})`}\n`)
  return error.code === ErrorCodes.INVALID_OPTION || error.code === ErrorCodes.INVALID_REQUEST ? ExitCodes.USAGE : ExitCodes.FAILED
}

/**
 * Runs the `fastify-oauth1` bin with its arguments (after the program name) and streams.
 * Never throws: every failure is written on stderr as a coded `OAuth1Error` message.
 * @returns the exit code: 0 success, 1 failure, 2 usage error.
 */
export async function run (args: readonly string[], io: CliIO): Promise<number> {
  try {
    const commandLine = parseCommandLine(args)
    if (commandLine.command === 'help') {
      io.stdout.write(usage())
      return ExitCodes.OK
    }
    return commandLine.command === 'authorize' ? await authorize(commandLine, io) : await request(commandLine, io)
  } catch (error) {
    return report(error, io)
  }
}
