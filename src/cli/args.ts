import { parseArgs } from 'node:util'
import { ErrorCodes, OAuth1Error } from '../errors.js'
import { closestName } from '../options.js'
import { credentialVariables } from './env.js'

/** The commands of the `fastify-oauth1` bin. */
export type CommandName = 'authorize' | 'request' | 'help'

/** Options both commands read: the provider and how to sign. */
export interface CommonArgs {
  /** A preset by name (`x`, `trello`, `smugmug`, ...). */
  provider: string | undefined
  signatureMethod: string | undefined
  realm: string | undefined
  userAgent: string | undefined
  /** Milliseconds. */
  timeout: number | undefined
}

/** `fastify-oauth1 authorize`: the PIN flow. */
export interface AuthorizeArgs extends CommonArgs {
  command: 'authorize'
  requestTokenUrl: string | undefined
  authorizeUrl: string | undefined
  accessTokenUrl: string | undefined
  requestTokenParams: Record<string, string>
  authorizeParams: Record<string, string>
}

/** `fastify-oauth1 request [METHOD] URL`: one signed call. */
export interface RequestArgs extends CommonArgs {
  command: 'request'
  method: string
  url: string
  /** `--data name=value` pairs, sent as a form body. */
  data: Array<[string, string]>
  headers: Array<[string, string]>
  placement: 'header' | 'query' | 'body' | undefined
  /** Print the signature base string (RFC 5849 §3.4.1) on stderr. */
  baseString: boolean
}

/** What the command line asks for. */
export type CommandLine = AuthorizeArgs | RequestArgs | { command: 'help' }

const options = {
  provider: { type: 'string' },
  'signature-method': { type: 'string' },
  realm: { type: 'string' },
  'user-agent': { type: 'string' },
  timeout: { type: 'string' },
  'request-token-url': { type: 'string' },
  'authorize-url': { type: 'string' },
  'access-token-url': { type: 'string' },
  'request-token-param': { type: 'string', multiple: true },
  'authorize-param': { type: 'string', multiple: true },
  method: { type: 'string', short: 'X' },
  data: { type: 'string', short: 'd', multiple: true },
  header: { type: 'string', short: 'H', multiple: true },
  placement: { type: 'string' },
  'base-string': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

const commandOptions: Record<Exclude<CommandName, 'help'>, ReadonlySet<string>> = {
  authorize: new Set(['request-token-url', 'authorize-url', 'access-token-url', 'request-token-param', 'authorize-param']),
  request: new Set(['method', 'data', 'header', 'placement', 'base-string'])
}

/** A command line that cannot run: exit code 2. */
export function usageError (message: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_OPTION, `${message} (see fastify-oauth1 --help)`)
}

/**
 * Refuses unknown options by name only, never echoing a value (`--consumer-secret=...` must
 * not reach a log), and says where keys and tokens come from when one was given as an argument.
 */
function checkOptionNames (args: readonly string[]): void {
  const shorts = new Map(Object.entries(options).flatMap(([name, spec]) => 'short' in spec ? [[spec.short as string, name]] : []))
  for (const arg of args) {
    if (arg === '--') return
    if (!arg.startsWith('-') || arg === '-') continue
    const name = arg.startsWith('--') ? (arg.slice(2).split('=')[0] as string) : arg.slice(1, 2)
    if (arg.startsWith('--') ? Object.hasOwn(options, name) : shorts.has(name)) continue
    const shown = arg.startsWith('--') ? `--${name}` : `-${name}`
    if (/key|secret|token|password/i.test(name)) {
      throw usageError(`Unknown option ${shown}: keys and tokens are read from the environment only (${Object.values(credentialVariables).join(', ')}), ` +
        'never from arguments, which any user of the machine can read with ps')
    }
    const suggestion = arg.startsWith('--') ? closestName(name, Object.keys(options)) : undefined
    throw usageError(`Unknown option ${shown}${suggestion === undefined ? '' : `; did you mean --${suggestion}?`}`)
  }
}

/** `name=value` pairs of a repeatable option. */
function pairs (option: string, values: readonly string[] | undefined, separator: string): Array<[string, string]> {
  return (values ?? []).map((value) => {
    const at = value.indexOf(separator)
    if (at <= 0) throw usageError(`--${option} expects name${separator}value`)
    return [value.slice(0, at), value.slice(at + separator.length)]
  })
}

function headerPairs (values: readonly string[] | undefined): Array<[string, string]> {
  return pairs('header', values, ':').map(([name, value]) => [name.trim(), value.trim()])
}

function positiveMilliseconds (value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) throw usageError('--timeout expects a positive number of milliseconds')
  return number
}

/**
 * Parses the arguments after the program name into a {@link CommandLine}.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for anything that cannot run (exit code 2).
 */
export function parseCommandLine (args: readonly string[]): CommandLine {
  checkOptionNames(args)
  let parsed: ReturnType<typeof parseArgs<{ args: string[], options: typeof options, allowPositionals: true, strict: true }>>
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (error) {
    // node:util's messages name the option, never its value.
    throw usageError((error as Error).message)
  }
  const { values, positionals } = parsed
  const [command, ...operands] = positionals
  if (values.help === true || command === 'help') return { command: 'help' }
  if (command === undefined) throw usageError('Missing command: authorize or request')
  if (command !== 'authorize' && command !== 'request') throw usageError(`Unknown command "${command}": expected authorize or request`)
  const other = command === 'authorize' ? 'request' : 'authorize'
  for (const name of commandOptions[other]) {
    if (values[name as keyof typeof values] !== undefined) throw usageError(`--${name} is an option of ${other}, not of ${command}`)
  }
  const common: CommonArgs = {
    provider: values.provider,
    signatureMethod: values['signature-method'],
    realm: values.realm,
    userAgent: values['user-agent'],
    timeout: positiveMilliseconds(values.timeout)
  }
  if (command === 'authorize') {
    if (operands.length > 0) throw usageError('authorize takes no arguments besides its options')
    return {
      command,
      ...common,
      requestTokenUrl: values['request-token-url'],
      authorizeUrl: values['authorize-url'],
      accessTokenUrl: values['access-token-url'],
      requestTokenParams: Object.fromEntries(pairs('request-token-param', values['request-token-param'], '=')),
      authorizeParams: Object.fromEntries(pairs('authorize-param', values['authorize-param'], '='))
    }
  }
  if (operands.length === 0 || operands.length > 2) throw usageError('request expects [METHOD] URL')
  const url = operands.at(-1) as string
  const named = operands.length === 2 ? operands[0] as string : undefined
  if (named !== undefined && values.method !== undefined && named.toUpperCase() !== values.method.toUpperCase()) {
    throw usageError(`Two methods given: ${named} and --method ${values.method}`)
  }
  const data = pairs('data', values.data, '=')
  const method = (named ?? values.method ?? (data.length > 0 ? 'POST' : 'GET')).toUpperCase()
  if (!/^[A-Z]+$/.test(method)) throw usageError(`Invalid method "${method}": expected letters only, such as GET or POST`)
  const placement = values.placement
  if (placement !== undefined && placement !== 'header' && placement !== 'query' && placement !== 'body') {
    throw usageError('--placement expects header, query or body')
  }
  return { command, ...common, method, url, data, headers: headerPairs(values.header), placement, baseString: values['base-string'] === true }
}
