import t from 'tap'
import { ErrorCodes, OAuth1Error, type ProviderProblem } from '../src/errors.js'
import * as api from '../src/index.js'
import { isOAuthProblem, OAuthProblems, type OAuthProblem } from '../src/errors.js'
import { parseAuthParams, parseProblem } from '../src/protocol/problems.js'

t.test('parseAuthParams reads a WWW-Authenticate: OAuth header', async (t) => {
  t.same(parseAuthParams('OAuth realm="Example", oauth_problem="token_rejected"'), { realm: 'Example', oauth_problem: 'token_rejected' })
  t.same(parseAuthParams('oauth realm="x",oauth_problem=nonce_used'), { realm: 'x', oauth_problem: 'nonce_used' }, 'scheme case, token values, no space')
  t.same(parseAuthParams('OAuth oauth_problem_advice="a%20b%2C%20c", oauth_acceptable_timestamps="1-2"'),
    { oauth_problem_advice: 'a b, c', oauth_acceptable_timestamps: '1-2' }, 'percent-decoded')
  t.same(parseAuthParams('OAuth realm="say \\"hi\\", ok"'), { realm: 'say "hi", ok' }, 'quoted-pair escapes and commas inside quotes')
  t.same(parseAuthParams('OAuth oauth_problem="%E0%A4%A"'), { oauth_problem: '%E0%A4%A' }, 'invalid percent-encoding kept as is')
  t.same(parseAuthParams('Basic realm="b", OAuth realm="o", oauth_problem="x"'), { realm: 'o', oauth_problem: 'x' }, 'the OAuth challenge')
  t.same(parseAuthParams('oauth_problem="x"'), { oauth_problem: 'x' }, 'params without a scheme')
  t.same(parseAuthParams('OAuth'), {})
  t.same(Object.getPrototypeOf(parseAuthParams('OAuth a="1"')), null, 'a prototype-free record')
  t.equal(Object.getOwnPropertyDescriptor(parseAuthParams('OAuth __proto__="x"'), '__proto__')?.value, 'x', '__proto__ is a plain key')
})

t.test('parseProblem from the WWW-Authenticate header', async (t) => {
  t.same(parseProblem(401, '', 'OAuth realm="r", oauth_problem="timestamp_refused", oauth_acceptable_timestamps="100-200"'), {
    status: 401,
    body: '',
    problem: 'timestamp_refused',
    details: { oauth_acceptable_timestamps: '100-200' }
  })
})

t.test('parseProblem from a form body', async (t) => {
  t.same(parseProblem(400, 'oauth_problem=parameter_absent&oauth_parameters_absent=oauth_verifier&oauth_problem_advice=send%20it&other=1', undefined), {
    status: 400,
    body: 'oauth_problem=parameter_absent&oauth_parameters_absent=oauth_verifier&oauth_problem_advice=send%20it&other=1',
    problem: 'parameter_absent',
    advice: 'send it',
    details: { oauth_parameters_absent: 'oauth_verifier' }
  })
  t.same(parseProblem(500, 'Error: oauth_problem=consumer_key_unknown', undefined).problem, 'consumer_key_unknown', 'after some text')
})

t.test('parseProblem: the body adds to and overrides the header', async (t) => {
  const problem = parseProblem(401, 'oauth_problem=signature_invalid', 'OAuth oauth_problem="token_rejected", oauth_problem_advice="x"')
  t.equal(problem.problem, 'signature_invalid')
  t.equal(problem.advice, 'x')
})

t.test('parseProblem without a problem, with a long or broken body', async (t) => {
  t.same(parseProblem(503, 'Service Unavailable', undefined), { status: 503, body: 'Service Unavailable' })
  const long = parseProblem(500, 'y'.repeat(600), undefined)
  t.equal(long.body, 'y'.repeat(512) + '…', 'truncated to 512 characters')
  t.same(parseProblem(400, 'oauth_problem=%E0%A4%A', undefined), { status: 400, body: 'oauth_problem=%E0%A4%A' }, 'unparsable form ignored')
  t.same(parseProblem(401, '', 'OAuth realm="r"'), { status: 401, body: '' }, 'realm is not a problem detail')
})

t.test('OAuthProblems: every value of OAuth Problem Reporting, frozen, exported', async (t) => {
  t.same(Object.values(OAuthProblems).sort(), [
    'additional_authorization_required', 'consumer_key_refused', 'consumer_key_rejected', 'consumer_key_unknown',
    'nonce_used', 'parameter_absent', 'parameter_rejected', 'permission_denied', 'permission_unknown',
    'signature_invalid', 'signature_method_rejected', 'timestamp_refused', 'token_expired', 'token_rejected',
    'token_revoked', 'token_used', 'user_refused', 'verifier_invalid', 'version_rejected'
  ])
  for (const [name, value] of Object.entries(OAuthProblems)) t.equal(name, value.toUpperCase(), `${name} names its value`)
  t.ok(Object.isFrozen(OAuthProblems))
  t.equal(api.OAuthProblems, OAuthProblems, 'exported from the package entry')
  t.equal(api.isOAuthProblem, isOAuthProblem)
})

t.test('isOAuthProblem tells the standard values from the rest', async (t) => {
  t.ok(isOAuthProblem('timestamp_refused'))
  t.ok(isOAuthProblem(OAuthProblems.USER_REFUSED))
  t.notOk(isOAuthProblem('Timestamp_Refused'), 'case matters')
  t.notOk(isOAuthProblem('rate_limited'), 'a provider-specific value')
  t.notOk(isOAuthProblem(undefined))
  t.notOk(isOAuthProblem('toString'), 'no prototype keys')
})

t.test('parsed problems are switchable on the typed codes; unknown values are kept', async (t) => {
  const describe = (problem: ProviderProblem): string => {
    switch (problem.problem) {
      case OAuthProblems.TIMESTAMP_REFUSED: return 'clock'
      case OAuthProblems.TOKEN_EXPIRED:
      case OAuthProblems.TOKEN_REVOKED:
      case OAuthProblems.TOKEN_REJECTED: return 'reconnect'
      case OAuthProblems.PARAMETER_ABSENT: return `missing ${problem.details?.oauth_parameters_absent ?? '?'}`
      case undefined: return 'none'
      default: return `other ${problem.problem}`
    }
  }
  t.equal(describe(parseProblem(401, '', 'OAuth oauth_problem="timestamp_refused"')), 'clock')
  t.equal(describe(parseProblem(401, 'oauth_problem=token_revoked', undefined)), 'reconnect')
  t.equal(describe(parseProblem(400, 'oauth_problem=parameter_absent&oauth_parameters_absent=oauth_callback%26oauth_nonce', undefined)), 'missing oauth_callback&oauth_nonce')
  t.equal(describe(parseProblem(400, 'oauth_problem=rate_limited', undefined)), 'other rate_limited')
  t.equal(describe(parseProblem(500, 'oops', undefined)), 'none')
  const known: OAuthProblem = OAuthProblems.NONCE_USED
  const error = new OAuth1Error(ErrorCodes.PROVIDER_ERROR, 'refused', parseProblem(401, `oauth_problem=${known}`, undefined))
  t.equal(error.problem, OAuthProblems.NONCE_USED, 'carried on the error')
  t.ok(isOAuthProblem(error.problem))
})

t.test('parseProblem reads every Problem Reporting detail', async (t) => {
  const body = 'oauth_problem=version_rejected&oauth_acceptable_versions=1.0-1.0&oauth_problem_advice=use%201.0' +
    '&oauth_parameters_rejected=oauth_foo&oauth_acceptable_timestamps=1-2'
  t.same(parseProblem(400, body, undefined), {
    status: 400,
    body,
    problem: 'version_rejected',
    advice: 'use 1.0',
    details: { oauth_acceptable_versions: '1.0-1.0', oauth_parameters_rejected: 'oauth_foo', oauth_acceptable_timestamps: '1-2' }
  })
  t.same(parseProblem(401, '', 'OAuth realm="r", oauth_problem="additional_authorization_required", oauth_acceptable_permissions="write"').details,
    { oauth_acceptable_permissions: 'write' })
})

t.test('parseProblem keeps only well-formed oauth_* field names (an echoed base string carries no value out)', async (t) => {
  const body = 'oauth_problem=signature_invalid&debug_sbs=POST&https%3A%2F%2Fa%2F&oauth_token%3Drt%26oauth_verifier%3Dv-123456'
  const problem = parseProblem(401, body, undefined, ['v-123456'])
  t.equal(problem.problem, 'signature_invalid')
  t.equal(problem.details, undefined, 'the decoded base string is no field')
  t.notMatch(JSON.stringify(problem), /v-123456/)
})
