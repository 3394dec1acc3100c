import t from 'tap'
import { ErrorCodes, OAuth1Error, invalidOption, isOAuth1Error } from '../src/errors.js'

t.test('every code has a default statusCode', async (t) => {
  const expected: Record<string, number> = {
    OAUTH1_INVALID_OPTION: 500,
    OAUTH1_INVALID_REQUEST: 500,
    OAUTH1_PROVIDER_ERROR: 502,
    OAUTH1_PROVIDER_BAD_RESPONSE: 502,
    OAUTH1_CALLBACK_NOT_CONFIRMED: 502,
    OAUTH1_TIMEOUT: 504,
    OAUTH1_NETWORK: 502,
    OAUTH1_UNKNOWN_TOKEN: 400,
    OAUTH1_NO_SESSION: 400,
    OAUTH1_ACCESS_DENIED: 403,
    OAUTH1_MISSING_VERIFIER: 400,
    OAUTH1_CALLBACK_PROBLEM: 400,
    OAUTH1_NOT_CONNECTED: 401,
    OAUTH1_REDIRECT_REFUSED: 502,
    OAUTH1_TOKEN_INVALID: 401,
    OAUTH1_REVOKE_FAILED: 502,
    OAUTH1_ABORTED: 499,
    OAUTH1_FLOW_IN_PROGRESS: 409,
    OAUTH1_TOO_MANY_FLOWS: 429,
    OAUTH1_STORE_UNAVAILABLE: 503,
    OAUTH1_BUSY: 503,
    OAUTH1_FLOW_NOT_BOUND: 403,
    OAUTH1_RETURN_TO_TOO_LONG: 400,
    OAUTH1_FLOW_TOO_LARGE: 502,
    OAUTH1_CALLBACK_NOT_ALLOWED: 400
  }
  t.same(Object.values(ErrorCodes).sort(), Object.keys(expected).sort(), 'the table below covers every code')
  for (const code of Object.values(ErrorCodes)) {
    const err = new OAuth1Error(code, 'm')
    t.equal(err.code, code)
    t.equal(err.statusCode, expected[code], `${code} -> ${expected[code]}`)
  }
})

t.test('constructor fields, name, message, cause', async (t) => {
  const cause = new Error('root')
  const err = new OAuth1Error(ErrorCodes.PROVIDER_ERROR, 'provider said no', {
    statusCode: 503,
    status: 401,
    problem: 'timestamp_refused',
    advice: 'sync your clock',
    details: { oauth_acceptable_timestamps: '1-2' },
    body: 'oauth_problem=timestamp_refused',
    cause
  })
  t.ok(err instanceof Error)
  t.ok(err instanceof OAuth1Error)
  t.equal(err.name, 'OAuth1Error')
  t.equal(err.message, 'provider said no')
  t.equal(err.statusCode, 503, 'an explicit statusCode wins over the default')
  t.equal(err.status, 401)
  t.equal(err.problem, 'timestamp_refused')
  t.equal(err.advice, 'sync your clock')
  t.same(err.details, { oauth_acceptable_timestamps: '1-2' })
  t.equal(err.body, 'oauth_problem=timestamp_refused')
  t.equal(err.cause, cause)
  t.match(err.stack, /OAuth1Error: provider said no/)

  const bare = new OAuth1Error(ErrorCodes.TIMEOUT, 'slow')
  t.equal(bare.cause, undefined)
  t.notOk('cause' in bare, 'no cause property when none was given')
  t.equal(bare.status, undefined)
  t.equal(bare.problem, undefined)
})

t.test('instanceof works through the Symbol.for brand (a second installed copy)', async (t) => {
  const fromSecondCopy = {
    code: 'OAUTH1_TIMEOUT',
    message: 'slow',
    get [Symbol.for('fastify-oauth1.error')] () { return true }
  }
  t.ok(fromSecondCopy instanceof OAuth1Error, 'branded plain object counts as an OAuth1Error')
  t.ok(isOAuth1Error(fromSecondCopy))
  t.ok(isOAuth1Error(fromSecondCopy, ErrorCodes.TIMEOUT))
  t.notOk(isOAuth1Error(fromSecondCopy, ErrorCodes.NETWORK))

  const brandedFalse = { [Symbol.for('fastify-oauth1.error')]: 'yes' }
  t.notOk(brandedFalse instanceof OAuth1Error, 'the brand must be exactly true')
  const otherSymbol = { [Symbol('fastify-oauth1.error')]: true }
  t.notOk(otherSymbol instanceof OAuth1Error, 'a non-registered symbol of the same name is not the brand')
})

t.test('isOAuth1Error rejects everything else', async (t) => {
  for (const value of [null, undefined, 0, 'OAUTH1_TIMEOUT', {}, [], new Error('x'), Object.assign(new Error('x'), { code: 'OAUTH1_TIMEOUT' })]) {
    t.notOk(isOAuth1Error(value), `not an OAuth1Error: ${String(value)}`)
  }
  const err = new OAuth1Error(ErrorCodes.ACCESS_DENIED, 'denied')
  t.ok(isOAuth1Error(err))
  t.ok(isOAuth1Error(err, ErrorCodes.ACCESS_DENIED))
  t.notOk(isOAuth1Error(err, ErrorCodes.UNKNOWN_TOKEN))
})

t.test('invalidOption throws a coded error naming the option', async (t) => {
  t.throws(() => invalidOption('consumerKey', 'a non-empty string'), {
    code: 'OAUTH1_INVALID_OPTION',
    statusCode: 500,
    message: 'Invalid option "consumerKey": expected a non-empty string'
  })
})
