/**
 * Starts test-integration/python/oauthlib_provider.py, an OAuth 1.0a provider built on python
 * oauthlib's endpoints, on 127.0.0.1 and a free port.
 *
 * Needs /usr/bin/python3 (or OAUTHLIB_PYTHON) with the Debian packages python3-oauthlib
 * python3-jwt python3-cryptography. Missing ones reject with an install hint (a failure, not a skip).
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { assertPython, debianPackages, python, pythonDir } from './python.js'

export interface OauthlibProviderOptions {
  /** 20-30 ASCII letters and digits (oauthlib's default client key format). */
  consumerKey: string
  consumerSecret: string
  /** When set, oauth_callback must start with it (or be `oob`). */
  callbackPrefix?: string
  /** A PEM public key, so the client may sign with RSA-*. */
  rsaPublicKeyFile?: string
}

export interface OauthlibProvider {
  /** `http://127.0.0.1:<port>` */
  origin: string
  close (): Promise<void>
}

export async function startOauthlibProvider (options: OauthlibProviderOptions): Promise<OauthlibProvider> {
  assertPython()
  const args = [pythonDir + 'oauthlib_provider.py', '--port', '0']
  if (options.callbackPrefix !== undefined) args.push('--callback-prefix', options.callbackPrefix)
  if (options.rsaPublicKeyFile !== undefined) args.push('--rsa-public-key-file', options.rsaPublicKeyFile)
  // The credentials travel in the environment, not argv, so they do not show in `ps`.
  const child = spawn(python, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, OAUTH_CONSUMER_KEY: options.consumerKey, OAUTH_CONSUMER_SECRET: options.consumerSecret }
  })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => { stderr += chunk })
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))

  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    const timer = setTimeout(() => { child.kill(); reject(new Error(`oauthlib_provider.py did not start in 15 s: ${stderr}`)) }, 15_000)
    child.once('error', (error) => { clearTimeout(timer); reject(new Error(`cannot run ${python}: ${error.message}`)) })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`oauthlib_provider.py exited with code ${code} before listening (needs the Debian packages ${debianPackages}):\n${stderr}`))
    })
    lines.once('line', (line) => {
      clearTimeout(timer)
      try {
        const { port } = JSON.parse(line) as { port: number }
        if (!Number.isInteger(port)) throw new Error('no port')
        resolve(port)
      } catch {
        reject(new Error(`unexpected first line from oauthlib_provider.py: ${line}`))
      }
    })
  })

  return {
    origin: `http://127.0.0.1:${port}`,
    async close () {
      if (exited) return
      child.stdin.end() // the provider exits when its stdin closes
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exit
      clearTimeout(timer)
    }
  }
}
