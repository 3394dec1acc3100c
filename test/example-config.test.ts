import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'
import t from 'tap'
import { ConfigError, loadConfig, providerVariables } from '../example-app/src/config.js'

const privateKeyFile = fileURLToPath(new URL('./fixtures/oauth-wiki-rsa-private.pem', import.meta.url))
const publicKeyFile = fileURLToPath(new URL('./fixtures/oauth-wiki-rsa-public.pem', import.meta.url))
const root = fileURLToPath(new URL('..', import.meta.url))

const provider = {
  OAUTH_CONSUMER_KEY: 'key',
  OAUTH_CONSUMER_SECRET: 'secret',
  OAUTH_REQUEST_TOKEN_URL: 'https://api.example.com/oauth/request_token',
  OAUTH_AUTHORIZE_URL: 'https://api.example.com/oauth/authorize',
  OAUTH_ACCESS_TOKEN_URL: 'https://api.example.com/oauth/access_token',
  OAUTH_RESOURCE_URL: 'https://api.example.com/1/me.json'
}

function errorOf (env: Record<string, string>): ConfigError | undefined {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  return undefined
}

t.test('no variables: the demo provider, 127.0.0.1:3000, a generated session secret', async (t) => {
  const config = loadConfig({})
  t.equal(config.provider, undefined, 'nothing configured: demo mode')
  t.equal(config.host, '127.0.0.1')
  t.equal(config.port, 3000)
  t.equal(config.publicUrl, 'http://127.0.0.1:3000')
  t.equal(config.callbackUrl, 'http://127.0.0.1:3000/oauth/callback')
  t.same(config.demoProvider, { host: 'localhost', port: 3001 }, 'the demo provider is another site (localhost) on its own port')
  t.equal(config.sessionSecretGenerated, true)
  t.ok(config.sessionSecret.length >= 32)
  t.not(loadConfig({}).sessionSecret, config.sessionSecret, 'random per start')
  t.equal(config.secureCookies, false)
  t.equal(config.trustProxy, false)
  t.equal(config.redisUrl, undefined)
  t.equal(config.logLevel, 'info')
})

t.test('values are read and normalised', async (t) => {
  const config = loadConfig({
    HOST: '0.0.0.0',
    PORT: '8080',
    DEMO_PROVIDER_PORT: '8081',
    SESSION_SECRET: 's'.repeat(32),
    REDIS_URL: 'redis://cache:6379/0',
    LOG_LEVEL: 'debug',
    TRUST_PROXY: 'loopback, 10.0.0.0/8'
  })
  t.equal(config.publicUrl, 'http://127.0.0.1:8080', 'a wildcard host is not a URL to open')
  t.equal(config.sessionSecretGenerated, false)
  t.equal(config.redisUrl, 'redis://cache:6379/0')
  t.equal(config.trustProxy, 'loopback, 10.0.0.0/8')
  t.same(config.demoProvider, { host: 'localhost', port: 8081 })
  t.equal(loadConfig({ HOST: '::1' }).publicUrl, 'http://[::1]:3000')
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)

  const https = loadConfig({ PUBLIC_URL: 'https://app.example.com/', TRUST_PROXY: '127.0.0.1' })
  t.equal(https.publicUrl, 'https://app.example.com', 'trailing slash dropped')
  t.equal(https.callbackUrl, 'https://app.example.com/oauth/callback')
  t.equal(https.secureCookies, true, 'https PUBLIC_URL: Secure cookies')
})

t.test('a configured provider (HMAC-SHA1 by default)', async (t) => {
  const config = loadConfig(provider)
  t.same(config.provider, {
    consumerKey: 'key',
    consumerSecret: 'secret',
    signatureMethod: 'HMAC-SHA1',
    privateKey: undefined,
    requestTokenUrl: 'https://api.example.com/oauth/request_token',
    authorizeUrl: 'https://api.example.com/oauth/authorize',
    accessTokenUrl: 'https://api.example.com/oauth/access_token',
    resourceUrl: 'https://api.example.com/1/me.json',
    revokeUrl: undefined
  })
  t.equal(loadConfig({ ...provider, OAUTH_SIGNATURE_METHOD: 'hmac-sha256' }).provider?.signatureMethod, 'HMAC-SHA256')
  t.equal(loadConfig({ ...provider, PORT: '3001' }).port, 3001, 'DEMO_PROVIDER_PORT does not matter without the demo')
})

t.test('OAUTH_REVOKE_URL: optional; set, it is the revocation endpoint Disconnect calls', async (t) => {
  t.equal(loadConfig(provider).provider?.revokeUrl, undefined, 'unset: no revocation endpoint')
  t.equal(loadConfig({ ...provider, OAUTH_REVOKE_URL: '  ' }).provider?.revokeUrl, undefined, 'blank counts as unset')
  const config = loadConfig({ ...provider, OAUTH_REVOKE_URL: 'https://api.example.com/1.1/oauth/invalidate_token' })
  t.equal(config.provider?.revokeUrl, 'https://api.example.com/1.1/oauth/invalidate_token')
  t.equal(config.provider?.resourceUrl, 'https://api.example.com/1/me.json', 'the other endpoints are untouched')
})

t.test('RSA-SHA1 with a private key file, no consumer secret needed', async (t) => {
  const { OAUTH_CONSUMER_SECRET: _unused, ...rest } = provider
  const config = loadConfig({ ...rest, OAUTH_SIGNATURE_METHOD: 'RSA-SHA1', OAUTH_PRIVATE_KEY_FILE: privateKeyFile })
  t.equal(config.provider?.signatureMethod, 'RSA-SHA1')
  t.equal(config.provider?.privateKey?.asymmetricKeyType, 'rsa')
  t.equal(config.provider?.consumerSecret, undefined)
})

t.test('each missing or invalid variable gives one line naming what to set', async (t) => {
  const { OAUTH_CONSUMER_SECRET: _s, ...noSecret } = provider
  const { OAUTH_RESOURCE_URL: _r, ...noResource } = provider
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['one OAUTH_* variable alone', { OAUTH_CONSUMER_KEY: 'key' },
      /^Incomplete provider configuration: set OAUTH_CONSUMER_SECRET, OAUTH_REQUEST_TOKEN_URL, OAUTH_AUTHORIZE_URL, OAUTH_ACCESS_TOKEN_URL, OAUTH_RESOURCE_URL \(or unset OAUTH_CONSUMER_KEY/],
    ['OAUTH_SIGNATURE_METHOD alone counts as configuring', { OAUTH_SIGNATURE_METHOD: 'HMAC-SHA1' }, /set OAUTH_CONSUMER_KEY, OAUTH_CONSUMER_SECRET,/],
    ['no consumer secret', noSecret, /set OAUTH_CONSUMER_SECRET \(/],
    ['no resource URL', noResource, /set OAUTH_RESOURCE_URL \(/],
    ['RSA without a key file', { ...provider, OAUTH_SIGNATURE_METHOD: 'RSA-SHA256' }, /set OAUTH_PRIVATE_KEY_FILE \(/],
    ['unknown signature method', { ...provider, OAUTH_SIGNATURE_METHOD: 'MD5' }, /OAUTH_SIGNATURE_METHOD=MD5 is not supported: set it to one of HMAC-SHA1,/],
    ['a URL that is not one', { ...provider, OAUTH_AUTHORIZE_URL: 'api.example.com/authorize' }, /OAUTH_AUTHORIZE_URL is not a URL: set it to an absolute http\(s\) URL/],
    ['a non-http URL', { ...provider, OAUTH_ACCESS_TOKEN_URL: 'ftp://api.example.com/x' }, /OAUTH_ACCESS_TOKEN_URL must be an http\(s\) URL/],
    ['OAUTH_REVOKE_URL not a URL', { ...provider, OAUTH_REVOKE_URL: 'invalidate_token' }, /^OAUTH_REVOKE_URL is not a URL: set it to an absolute http\(s\) URL such as https:\/\/api.example.com\/1.1\/oauth\/invalidate_token$/],
    ['OAUTH_REVOKE_URL not http', { ...provider, OAUTH_REVOKE_URL: 'mailto:revoke@example.com' }, /^OAUTH_REVOKE_URL must be an http\(s\) URL/],
    ['OAUTH_REVOKE_URL alone counts as configuring', { OAUTH_REVOKE_URL: 'https://api.example.com/revoke' },
      /^Incomplete provider configuration: set OAUTH_CONSUMER_KEY, .*OAUTH_RESOURCE_URL \(or unset OAUTH_REVOKE_URL to run the embedded demo provider\)$/],
    ['PLAINTEXT with an http revocation endpoint', { ...provider, OAUTH_SIGNATURE_METHOD: 'PLAINTEXT', OAUTH_REVOKE_URL: 'http://api.example.com/revoke' }, /PLAINTEXT .* must be https/],
    ['PLAINTEXT over http', { ...provider, OAUTH_SIGNATURE_METHOD: 'PLAINTEXT', OAUTH_REQUEST_TOKEN_URL: 'http://api.example.com/rt' }, /PLAINTEXT .* must be https/],
    ['unreadable key file', { ...provider, OAUTH_SIGNATURE_METHOD: 'RSA-SHA1', OAUTH_PRIVATE_KEY_FILE: '/nonexistent/key.pem' }, /OAUTH_PRIVATE_KEY_FILE=\/nonexistent\/key.pem cannot be read \(ENOENT\)/],
    ['a public key as the private key', { ...provider, OAUTH_SIGNATURE_METHOD: 'RSA-SHA1', OAUTH_PRIVATE_KEY_FILE: publicKeyFile }, /does not hold a PEM private key/],
    ['a key file with HMAC', { ...provider, OAUTH_PRIVATE_KEY_FILE: privateKeyFile }, /OAUTH_PRIVATE_KEY_FILE is only used by RSA-SHA1 and RSA-SHA256/],
    ['PORT not a number', { PORT: 'http' }, /^PORT=http is not a port: set PORT to a number from 1 to 65535$/],
    ['PORT out of range', { PORT: '70000' }, /^PORT=70000 is not a port/],
    ['DEMO_PROVIDER_PORT invalid', { DEMO_PROVIDER_PORT: '0' }, /^DEMO_PROVIDER_PORT=0 is not a port/],
    ['demo on the app port', { PORT: '4000', DEMO_PROVIDER_PORT: '4000' }, /set DEMO_PROVIDER_PORT to another port/],
    ['short SESSION_SECRET', { SESSION_SECRET: 'short' }, /^SESSION_SECRET is 5 characters: set it to at least 32 random characters/],
    ['REDIS_URL not redis', { REDIS_URL: 'http://cache:6379' }, /^REDIS_URL is not a Redis URL: set it like redis:\/\/localhost:6379/],
    ['REDIS_URL not a URL', { REDIS_URL: 'cache:6379' }, /^REDIS_URL is not a Redis URL/],
    ['PUBLIC_URL with a path', { PUBLIC_URL: 'https://example.com/app', TRUST_PROXY: 'true' }, /^PUBLIC_URL=https:\/\/example.com\/app must be an origin without a path/],
    ['PUBLIC_URL not a URL', { PUBLIC_URL: 'example.com' }, /^PUBLIC_URL is not a URL/],
    ['https PUBLIC_URL without TRUST_PROXY', { PUBLIC_URL: 'https://example.com' }, /^PUBLIC_URL is https but the app itself serves plain http: set TRUST_PROXY/],
    ['TRUST_PROXY nonsense', { TRUST_PROXY: 'my-proxy' }, /^TRUST_PROXY=my-proxy is not understood: set it to/],
    ['TRUST_PROXY hop count (Fastify 5 trusts no one with it)', { TRUST_PROXY: '1' }, /^TRUST_PROXY=1 is not understood/],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'verbose' }, /^LOG_LEVEL=verbose is not a level: set it to one of fatal, error/]
  ]
  for (const [name, env, pattern] of cases) {
    const error = errorOf(env)
    t.ok(error instanceof ConfigError, `${name}: a ConfigError`)
    t.match(error?.message, pattern, name)
    t.notMatch(error?.message, /\n/, `${name}: one line`)
  }
})

t.test('secrets: OAUTH1_SECRET is the plugin\'s secret; without it SESSION_SECRET, then a random one; FLOW_SECRET and CREDENTIALS_SECRET of an older .env are kept', async (t) => {
  const session = 'session-secret-of-at-least-32-characters'
  const oauth1 = 'oauth1-secret-of-at-least-32-characters!'
  const both = loadConfig({ SESSION_SECRET: session, OAUTH1_SECRET: oauth1 })
  t.same([both.sessionSecret, both.oauth1Secret, both.oauth1SecretFrom, both.flowSecret, both.credentialsSecret], [session, oauth1, 'OAUTH1_SECRET', undefined, undefined],
    'the two secrets of a new set-up, and no override')
  const alone = loadConfig({ OAUTH1_SECRET: oauth1 })
  t.same([alone.oauth1Secret, alone.oauth1SecretFrom, alone.sessionSecretGenerated], [oauth1, 'OAUTH1_SECRET', true], 'OAUTH1_SECRET alone: the plugin\'s secret')
  const older = loadConfig({ SESSION_SECRET: session })
  t.same([older.oauth1Secret, older.oauth1SecretFrom], [session, 'SESSION_SECRET'], 'an older .env: SESSION_SECRET, as the keys were derived before')
  const none = loadConfig({})
  t.equal(none.oauth1SecretFrom, 'generated')
  t.ok(none.oauth1Secret.length >= 32)
  t.not(none.oauth1Secret, none.sessionSecret, 'a random one of its own')
  const flow = 'old-flow-secret-of-at-least-32-characters'
  const credentials = 'old-credentials-secret-of-32-characters!'
  const old = loadConfig({ SESSION_SECRET: session, FLOW_SECRET: flow, CREDENTIALS_SECRET: credentials })
  t.same([old.flowSecret, old.credentialsSecret], [flow, credentials], 'the old names are read (they override the plugin\'s secret)')
  for (const name of ['OAUTH1_SECRET', 'FLOW_SECRET', 'CREDENTIALS_SECRET']) {
    t.match(errorOf({ [name]: 'short' })?.message, new RegExp(`^${name} is 5 characters: set it to at least 32 random characters \\(openssl rand -base64 32\\)$`), `short ${name}`)
  }
})

t.test('OAUTH1_SECRET may be a comma-separated list, newest first, to rotate it; each one is checked', async (t) => {
  const newest = 'a-new-oauth1-secret-of-at-least-32-characters'
  const older = 'an-old-oauth1-secret-of-at-least-32-characters'
  t.same(loadConfig({ OAUTH1_SECRET: `${newest}, ${older}` }).oauth1Secret, [newest, older], 'a list, in its order, spaces trimmed')
  t.equal(loadConfig({ OAUTH1_SECRET: newest }).oauth1Secret, newest, 'one secret stays a string')
  t.match(errorOf({ OAUTH1_SECRET: `${newest},short` })?.message,
    /^OAUTH1_SECRET's secret number 2 is 5 characters: set it to at least 32 random characters \(openssl rand -base64 32\)$/, 'a short one in the list is named by its place')
  t.match(errorOf({ OAUTH1_SECRET: `${newest},` })?.message, /^OAUTH1_SECRET's secret number 2 is 0 characters/, 'an empty place too')
  t.equal(loadConfig({ FLOW_SECRET: `${newest},${older}` }).flowSecret, `${newest},${older}`, 'FLOW_SECRET stays one secret (not split)')
})

t.test('secrets never appear in configuration errors', async (t) => {
  const error = errorOf({ ...provider, OAUTH_CONSUMER_SECRET: 'very-secret-value', OAUTH_RESOURCE_URL: 'nope' })
  t.match(error?.message, /OAUTH_RESOURCE_URL/)
  t.notMatch(error?.message, /very-secret-value/)
})

t.test('npm start with bad configuration: one line on stderr, exit code 1, no stack', async (t) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'example-app/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', OAUTH_CONSUMER_KEY: 'key', OAUTH_CONSUMER_SECRET: 'secret' },
    encoding: 'utf8',
    timeout: 30_000
  })
  t.equal(result.status, 1)
  const lines = result.stderr.trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], /^fastify-oauth1 example: Incomplete provider configuration: set OAUTH_REQUEST_TOKEN_URL, OAUTH_AUTHORIZE_URL, OAUTH_ACCESS_TOKEN_URL, OAUTH_RESOURCE_URL/)
  t.notMatch(result.stderr, /\s+at /, 'no stack trace')
  t.equal(result.stdout, '')
})

t.test('.env.example names every variable the app reads, with no secret filled in, and as it is runs the demo', async (t) => {
  const example = readFileSync(`${root}.env.example`, 'utf8')
  const sources = ['config.ts', 'main.ts'].map((file) => readFileSync(`${root}example-app/src/${file}`, 'utf8')).join('\n')
  const names = sources.matchAll(/\b(?:read|parsePort|parseSecret)\(env, '([A-Z_]+)'|\benv\.([A-Z_]+)|process\.env\.([A-Z_]+)/g)
  const read = new Set([...names].map((match) => match[1] ?? match[2] ?? match[3]))
  for (const name of providerVariables) read.add(name)
  t.ok(read.size >= 20, `the variables were found in the sources (${[...read].join(', ')})`)
  const listed = parseEnv(example)
  for (const name of read) t.ok(Object.hasOwn(listed, name as string), `${name} is in .env.example`)
  for (const [name, value] of Object.entries(listed)) {
    if (/SECRET|KEY$/.test(name)) t.equal(value, '', `${name}: empty, no secret in the example`)
  }
  t.match(example, 'openssl rand -base64 32', 'it says how to make a secret')
  const config = loadConfig(listed)
  t.equal(config.provider, undefined, 'copied as it is: the demo provider')
  t.ok(config.sessionSecretGenerated, 'and a random session secret for the run')
  t.equal(config.oauth1SecretFrom, 'generated', 'and a random OAUTH1_SECRET')
  t.same([config.flowSecret, config.credentialsSecret], [undefined, undefined], 'no override')
  t.match(example, /^OAUTH1_SECRET=$/m, 'OAUTH1_SECRET is listed')
})

t.test('npm start (start.ts) reads .env when there is one, the environment wins, and no .env is fine', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'example-env-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const start = (env: Record<string, string>): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), `${root}example-app/src/start.ts`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 30_000
    })
  writeFileSync(join(dir, '.env'), 'PORT=from-the-file\n')
  const fromFile = start({})
  t.equal(fromFile.status, 1)
  t.equal(fromFile.stderr, 'fastify-oauth1 example: PORT=from-the-file is not a port: set PORT to a number from 1 to 65535\n', 'the value from .env')
  const fromShell = start({ PORT: 'from-the-shell' })
  t.match(fromShell.stderr, 'PORT=from-the-shell is not a port', 'a variable set in the environment wins over .env')
  rmSync(join(dir, '.env'))
  const none = start({ OAUTH_CONSUMER_KEY: 'key' })
  t.equal(none.status, 1)
  t.match(none.stderr, /^fastify-oauth1 example: Incomplete provider configuration/, 'without .env: straight to the configuration, no error about the file')
})
