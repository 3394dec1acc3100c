import t from 'tap'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { callbackError, classifyCallback } from '../src/sign-in/callback.js'
import { type DenialStyle, defaultDenialStyles } from '../src/presets/presets.js'

const every: DenialStyle[] = ['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0', 'missing-verifier']

t.test('the default list: every explicit refusal, and nothing else', async (t) => {
  t.same(defaultDenialStyles, ['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0'], 'every style but missing-verifier')
  const denied: Array<[Record<string, unknown>, DenialStyle]> = [
    [{ denied: 'tok' }, 'denied-param'],
    [{ denied: '' }, 'denied-param'],
    [{ oauth_token: 't', oauth_problem: 'user_refused' }, 'oauth-problem'],
    [{ oauth_token: 't', oauth_problem: 'permission_denied' }, 'oauth-problem'],
    [{ oauth_token: 't', oauth_verifier: 'denied' }, 'verifier-denied'],
    [{ oauth_token: 't', oauth_verifier: 'DENIED' }, 'verifier-denied'],
    [{ oauth_token: 't', authorize: '0' }, 'authorize-0'],
    [{ oauth_token: 't', authorize: ['0', '1'] }, 'authorize-0']
  ]
  for (const [query, style] of denied) t.same(classifyCallback(query), { kind: 'denied', style }, JSON.stringify(query))
  t.same(classifyCallback({ oauth_token: 't', oauth_verifier: 'v' }), { kind: 'callback', token: 't', verifier: 'v' })
  t.same(classifyCallback({ oauth_token: 't', oauth_verifier: 'deniedX' }), { kind: 'callback', token: 't', verifier: 'deniedX' })
  t.same(classifyCallback({ oauth_token: 't', authorize: '1', oauth_verifier: 'v' }), { kind: 'callback', token: 't', verifier: 'v' })
  t.same(classifyCallback({ oauth_token: 't' }), { kind: 'callback', token: 't', verifier: undefined }, 'no verifier: not a denial by default')
  t.same(classifyCallback({ oauth_token: ['a', 'b'], oauth_verifier: ['v', 'w'] }), { kind: 'callback', token: 'a', verifier: 'v' }, 'first values')
  t.same(classifyCallback({ error: 'access_denied', oauth_token: 't', oauth_verifier: 'v' }), { kind: 'callback', token: 't', verifier: 'v' }, 'OAuth 2 error= is not an OAuth 1 signal')
  t.same(classifyCallback({}), { kind: 'callback', token: undefined, verifier: undefined })
  t.same(classifyCallback({ oauth_token: 't', oauth_problem: '', oauth_verifier: 'v' }), { kind: 'callback', token: 't', verifier: 'v' }, 'an empty problem is none')
})

t.test('another oauth_problem is a provider error, reported as what it is', async (t) => {
  t.same(classifyCallback({ oauth_token: 't', oauth_problem: 'token_rejected' }), { kind: 'provider-error', problem: 'token_rejected' })
  t.same(classifyCallback({ oauth_problem: 'token_expired', oauth_problem_advice: 'start again' }, every),
    { kind: 'provider-error', problem: 'token_expired', advice: 'start again' }, 'even with missing-verifier declared')
  const long = classifyCallback({ oauth_problem: 'x'.repeat(500), oauth_problem_advice: 'y'.repeat(500) })
  t.equal(long.kind === 'provider-error' && long.problem.length, 100, 'the problem is truncated')
  t.equal(long.kind === 'provider-error' && long.advice?.length, 100, 'the advice too')
  t.same(classifyCallback({ oauth_problem: 'user_refused' }, ['denied-param']), { kind: 'provider-error', problem: 'user_refused' },
    'a refusal problem from a provider that does not declare oauth-problem is still reported, never exchanged')
})

t.test('only the declared styles count', async (t) => {
  const queries: Record<DenialStyle, Record<string, unknown>> = {
    'denied-param': { denied: 'tok' },
    'oauth-problem': { oauth_token: 't', oauth_problem: 'user_refused' },
    'verifier-denied': { oauth_token: 't', oauth_verifier: 'denied' },
    'authorize-0': { oauth_token: 't', authorize: '0', oauth_verifier: 'v' },
    'missing-verifier': { oauth_token: 't' }
  }
  for (const style of every) {
    t.same(classifyCallback(queries[style], [style]), { kind: 'denied', style }, `${style} declared`)
    for (const other of every.filter((s) => s !== style)) {
      const outcome = classifyCallback(queries[other], [style])
      if (style === 'missing-verifier' && other === 'denied-param') {
        t.same(outcome, { kind: 'denied', style: 'missing-verifier' }, 'X\'s denied=<token> has no verifier either: a missing-verifier denial')
      } else {
        t.not(outcome.kind, 'denied', `${other} is not a denial when only ${style} is declared`)
      }
    }
  }
  t.same(classifyCallback({}, ['missing-verifier']), { kind: 'denied', style: 'missing-verifier' }, 'Tumblr: back without token or verifier')
  t.same(classifyCallback({ oauth_token: 't', oauth_verifier: '' }, ['missing-verifier']), { kind: 'denied', style: 'missing-verifier' }, 'an empty verifier')
  t.same(classifyCallback({ oauth_token: 't', oauth_verifier: 'v' }, ['missing-verifier']), { kind: 'callback', token: 't', verifier: 'v' })
  t.same(classifyCallback({ oauth_token: 't', oauth_verifier: 'denied' }, []), { kind: 'callback', token: 't', verifier: 'denied' }, 'an empty list: no denial at all')
})

t.test('callbackError codes each outcome without echoing the query', async (t) => {
  const denied = callbackError({ kind: 'denied', style: 'missing-verifier' })
  t.ok(denied instanceof OAuth1Error)
  t.equal(denied?.code, ErrorCodes.ACCESS_DENIED)
  t.equal(denied?.statusCode, 403)
  const problem = callbackError({ kind: 'provider-error', problem: 'token_rejected', advice: 'retry' })
  t.equal(problem?.code, ErrorCodes.CALLBACK_PROBLEM)
  t.equal(problem?.statusCode, 400)
  t.equal(problem?.problem, 'token_rejected')
  t.equal(problem?.advice, 'retry')
  t.match(problem?.message, /oauth_problem=token_rejected/)
  const odd = callbackError({ kind: 'provider-error', problem: '<script>secret=1' })
  t.notMatch(odd?.message, /script|secret/, 'a problem that is not an identifier stays out of the message')
  t.equal(odd?.problem, '<script>secret=1', 'but is on the error')
  t.equal(callbackError({ kind: 'callback', token: 't', verifier: 'v' }), undefined)
})

// Type checks (tsc runs over test/): the outcome is a discriminated union.
export function problemOf (outcome: ReturnType<typeof classifyCallback>): string | undefined {
  // @ts-expect-error only a provider-error outcome has a problem
  const unchecked: unknown = outcome.problem
  if (unchecked === null) return undefined
  if (outcome.kind === 'provider-error') return outcome.problem
  if (outcome.kind === 'denied') {
    const style: DenialStyle = outcome.style
    return style
  }
  const verifier: string | undefined = outcome.verifier
  return verifier
}
// @ts-expect-error denial styles are checked
classifyCallback({}, ['maybe'])
