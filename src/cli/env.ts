import { ErrorCodes, OAuth1Error } from '../errors.js'

/**
 * The environment variables the bin reads its keys and tokens from. Never from arguments: any
 * user of the machine can read a process's arguments with `ps`.
 */
export const credentialVariables = Object.freeze({
  consumerKey: 'OAUTH1_CONSUMER_KEY',
  consumerSecret: 'OAUTH1_CONSUMER_SECRET',
  token: 'OAUTH1_TOKEN',
  tokenSecret: 'OAUTH1_TOKEN_SECRET'
})

/** The environment, as `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>

function missing (name: string, why: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_OPTION, `${name} is not set: ${why} (keys and tokens are read from the environment, never from arguments)`)
}

function read (env: Environment, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

/**
 * The client credentials (RFC 5849 §1.1) from `OAUTH1_CONSUMER_KEY` and `OAUTH1_CONSUMER_SECRET`.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` naming the variable that is not set.
 */
export function readConsumer (env: Environment): { consumerKey: string, consumerSecret: string } {
  const consumerKey = read(env, credentialVariables.consumerKey)
  if (consumerKey === undefined) throw missing(credentialVariables.consumerKey, 'set it to your app\'s consumer key (API key)')
  const consumerSecret = read(env, credentialVariables.consumerSecret)
  if (consumerSecret === undefined) throw missing(credentialVariables.consumerSecret, 'set it to your app\'s consumer secret (API key secret)')
  return { consumerKey, consumerSecret }
}

/**
 * The token credentials from `OAUTH1_TOKEN` and `OAUTH1_TOKEN_SECRET`: both, or neither for a
 * consumer-only (two-legged) call.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when only one of the two is set.
 */
export function readToken (env: Environment): { token: string, tokenSecret: string } | undefined {
  const token = read(env, credentialVariables.token)
  const tokenSecret = read(env, credentialVariables.tokenSecret)
  if (token === undefined && tokenSecret === undefined) return undefined
  if (token === undefined) throw missing(credentialVariables.token, `${credentialVariables.tokenSecret} is set without its token`)
  if (tokenSecret === undefined) throw missing(credentialVariables.tokenSecret, `${credentialVariables.token} is set without its secret`)
  return { token, tokenSecret }
}
