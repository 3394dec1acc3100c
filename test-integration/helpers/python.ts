/**
 * Python side of the integration suite: where python is, which Debian packages it needs, and a
 * client for test-integration/python/verify_signatures.py (python oauthlib's provider-side
 * signature check, one JSON line per request).
 *
 * Needs (Debian 12): python3 python3-oauthlib python3-jwt python3-cryptography
 * (`apt-get install -y python3-oauthlib` pulls the other three in). Override the interpreter
 * with OAUTHLIB_PYTHON. A missing interpreter or package is an error, never a skip.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

export const python = process.env.OAUTHLIB_PYTHON ?? '/usr/bin/python3'
export const debianPackages = 'python3-oauthlib python3-jwt python3-cryptography'
export const pythonDir = fileURLToPath(new URL('../python/', import.meta.url))

const installHint = `install them with: apt-get update && apt-get install -y ${debianPackages}`

/** Throws a clear error when the interpreter itself is missing. */
export function assertPython (): void {
  if (!existsSync(python)) {
    throw new Error(`python interpreter ${python} not found (set OAUTHLIB_PYTHON or ${installHint})`)
  }
}

/** One request for the verifier. */
export interface VerifySpec {
  method: string
  uri: string
  headers: Record<string, string>
  body: string | null
  consumer_key: string
  consumer_secret?: string | null
  rsa_public_key?: string | null
  token?: string | null
  token_secret?: string | null
  /** The realm the signer put in the header; checked by the ResourceEndpoint's validate_realms. */
  realm?: string | null
}

/** oauthlib's verdict. */
export interface VerifyAnswer {
  id: number
  valid: boolean
  endpoint?: 'resource' | 'signature-only'
  detail: string
  realm?: string | null
  signature_type?: string | null
  body_hash?: { sent: string, matches: 'sha1' | 'sha256' | 'sha512' | null } | null
}

export interface Verifier {
  oauthlibVersion: string
  /** Signature methods oauthlib's provider side knows (its SIGNATURE_METHODS). */
  methods: string[]
  verify (spec: VerifySpec): Promise<VerifyAnswer>
  close (): Promise<void>
}

/** Spawns verify_signatures.py and waits for its ready line. Rejects with an install hint when oauthlib is missing. */
export async function startVerifier (): Promise<Verifier> {
  assertPython()
  const child: ChildProcessWithoutNullStreams = spawn(python, [pythonDir + 'verify_signatures.py'], { stdio: 'pipe' })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => { stderr += chunk })
  const pending = new Map<number, (answer: VerifyAnswer) => void>()
  let nextId = 0
  let exited = false
  const lines = createInterface({ input: child.stdout })

  const ready = await new Promise<{ oauthlib: string, methods: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verify_signatures.py did not start in 15 s: ${stderr}`)), 15_000)
    child.once('error', (error) => { clearTimeout(timer); reject(new Error(`cannot run ${python}: ${error.message}`)) })
    child.once('exit', (code) => {
      exited = true
      clearTimeout(timer)
      reject(new Error(`verify_signatures.py exited with code ${code} before it was ready (${installHint}):\n${stderr}`))
    })
    lines.once('line', (line) => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(line))
      } catch {
        reject(new Error(`unexpected first line from verify_signatures.py: ${line}`))
      }
    })
  })

  lines.on('line', (line) => {
    const answer = JSON.parse(line) as VerifyAnswer
    const done = pending.get(answer.id)
    if (done !== undefined) {
      pending.delete(answer.id)
      done(answer)
    }
  })
  child.removeAllListeners('exit')
  child.on('exit', (code) => {
    exited = true
    for (const [id, done] of pending) done({ id, valid: false, detail: `verifier exited (code ${code}): ${stderr}` })
    pending.clear()
  })

  return {
    oauthlibVersion: ready.oauthlib,
    methods: ready.methods,
    verify (spec) {
      if (exited) return Promise.resolve({ id: -1, valid: false, detail: `verifier is not running: ${stderr}` })
      const id = nextId++
      return new Promise((resolve) => {
        pending.set(id, resolve)
        child.stdin.write(JSON.stringify({ ...spec, id }) + '\n')
      })
    },
    close () {
      if (exited) return Promise.resolve()
      return new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.stdin.end()
      })
    }
  }
}
