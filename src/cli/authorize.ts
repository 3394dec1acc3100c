import { ErrorCodes, OAuth1Error } from '../errors.js'
import { createProviderClient, type ProviderClientOptions } from '../provider/provider-client.js'
import { type PresetName, resolvePreset, userOf } from '../presets/presets.js'
import type { SignatureMethod } from '../protocol/signature-methods.js'
import type { AuthorizeArgs } from './args.js'
import { usageError } from './args.js'
import { credentialVariables, readConsumer } from './env.js'
import { type CliIO, readLine, shellQuote } from './io.js'

const endpointFlags = { requestTokenUrl: '--request-token-url', authorizeUrl: '--authorize-url', accessTokenUrl: '--access-token-url' } as const

/** The provider client options of the command line: the preset by name, the endpoints given, the consumer from the environment. */
function clientOptions (args: AuthorizeArgs, io: CliIO): ProviderClientOptions {
  const preset = resolvePreset(args.provider as PresetName | undefined)
  const absent = (Object.keys(endpointFlags) as Array<keyof typeof endpointFlags>).filter((name) => args[name] === undefined && preset?.[name] === undefined)
  if (absent.length > 0) {
    throw usageError(`authorize needs the provider's endpoints: --provider NAME, or ${absent.map((name) => endpointFlags[name] + ' URL').join(', ')}`)
  }
  return {
    ...readConsumer(io.env),
    provider: args.provider as PresetName | undefined,
    requestTokenUrl: args.requestTokenUrl,
    authorizeUrl: args.authorizeUrl,
    accessTokenUrl: args.accessTokenUrl,
    requestTokenParams: args.requestTokenParams,
    authorizeParams: args.authorizeParams,
    signatureMethod: args.signatureMethod as SignatureMethod | undefined,
    realm: args.realm,
    userAgent: args.userAgent,
    timeout: args.timeout
  }
}

/**
 * `fastify-oauth1 authorize`: PIN (out-of-band) sign-in (RFC 5849 §2 with `oauth_callback=oob`).
 * Prints the authorize URL on stderr, reads the PIN from the first line of stdin, and prints the
 * token credentials on stdout as `export OAUTH1_TOKEN=...` lines, so that
 * `eval "$(fastify-oauth1 authorize --provider x)"` signs the following `request` commands.
 *
 * @returns the exit code: 0 once the credentials are printed.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for a command line or environment that cannot
 *   run; `OAUTH1_MISSING_VERIFIER` when stdin ends without a PIN; the provider client's errors otherwise.
 */
export async function authorize (args: AuthorizeArgs, io: CliIO): Promise<number> {
  const provider = createProviderClient(clientOptions(args, io))
  try {
    const { requestToken, authorizeUrl } = await provider.startPin()
    io.stderr.write(`Open this URL in a browser, approve the app, then type the PIN the provider shows:\n\n  ${authorizeUrl}\n\nPIN: `)
    const pin = await readLine(io.stdin)
    if ((io.stdin as { isTTY?: boolean }).isTTY !== true) io.stderr.write('\n')
    if (pin === undefined) throw new OAuth1Error(ErrorCodes.MISSING_VERIFIER, 'No PIN was read: stdin ended before a line')
    const access = await provider.completePin(requestToken, pin)
    io.stdout.write(`export ${credentialVariables.token}=${shellQuote(access.token)}\n` +
      `export ${credentialVariables.tokenSecret}=${shellQuote(access.tokenSecret)}\n`)
    const user = userOf(resolvePreset(args.provider as PresetName | undefined), access.extra)
    const who = [user.name, user.id === undefined ? undefined : `id ${user.id}`].filter((part) => part !== undefined).join(', ')
    io.stderr.write(`Signed in${who === '' ? '' : ` as ${who}`}.` +
      (access.expiresAt === undefined ? '' : ` The token expires at ${new Date(access.expiresAt).toISOString()}.`) + '\n')
    return 0
  } finally {
    await provider.close()
  }
}
