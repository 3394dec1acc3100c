import t from 'tap'
import { parseAuthParams, parseProblem } from '../src/problems.js'

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
