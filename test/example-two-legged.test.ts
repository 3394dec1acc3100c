import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))

t.test('the README two-legged example runs and its partner API verifies every call', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'example-app/src/two-legged.ts'], { cwd: root, timeout: 30_000 })
  t.equal(stdout.match(/verified: true/g)?.length, 3, 'GET with query, form POST and JSON POST verified')
  t.match(stdout, /q: 'café & crème'/, 'unicode and & in the query arrive decoded')
  t.match(stdout, /wrong secret\s+401 signature_invalid/, 'a wrong secret is refused, and the problem is readable')
  t.notMatch(stdout, /partner-secret/, 'the secret is never printed')
})
