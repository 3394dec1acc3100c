/**
 * Runs the example app (example-app/src/main.ts) as a child process, the way `npm start` does,
 * on loopback ports picked here, and waits until GET /healthz answers.
 *
 * The child gets only PATH, HOME and the variables passed in (no NODE_OPTIONS from tap, no stray
 * OAUTH_* or PORT of the caller's shell). Its output is kept for error messages.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

const startTimeout = 30_000
const stopTimeout = 5_000

export interface ExampleApp {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** Everything the child wrote to stdout and stderr so far (the last 8 KB). */
  output (): string
  close (): Promise<void>
}

function listenOnce (host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      // No IPv6 loopback on this machine: nothing can take the port there either.
      if (error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT') resolve(port)
      else if (error.code === 'EADDRINUSE') resolve(undefined)
      else reject(error)
    })
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : undefined
      server.close(() => resolve(bound))
    })
  })
}

/** A TCP port free on 127.0.0.1 and on ::1 (a server on `localhost` binds both). */
export async function freePort (): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await listenOnce('127.0.0.1', 0)
    if (port !== undefined && await listenOnce('::1', port) !== undefined) return port
  }
  throw new Error('could not find a free loopback port')
}

async function healthy (origin: string): Promise<boolean> {
  try {
    const response = await request(`${origin}/healthz`, { headersTimeout: 1000, bodyTimeout: 1000 })
    await response.body.dump()
    return response.statusCode === 200
  } catch {
    return false
  }
}

const children = new Set<ChildProcess>()
process.once('exit', () => { for (const child of children) child.kill('SIGKILL') })

/**
 * Spawns `node --import tsx example-app/src/main.ts` with `env` (which must set PORT and HOST;
 * the app is reached at http://HOST:PORT). Rejects with the child's output when it exits or is
 * not healthy within 30 s.
 */
export async function startExampleApp (env: Record<string, string>): Promise<ExampleApp> {
  const origin = `http://${env.HOST}:${env.PORT}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'example-app/src/main.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_FORMAT: 'json', ...env }
  })
  children.add(child)
  let output = ''
  const keep = (chunk: string): void => { output = (output + chunk).slice(-8192) }
  child.stdout?.setEncoding('utf8').on('data', keep)
  child.stderr?.setEncoding('utf8').on('data', keep)
  let exitCode: number | string | null | undefined
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exitCode = code ?? signal
    children.delete(child)
    resolve()
  }))

  const close = async (): Promise<void> => {
    if (exitCode !== undefined) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeout)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + startTimeout
  while (!(await healthy(origin))) {
    if (exitCode !== undefined) throw new Error(`the example app exited (${exitCode}) before answering on ${origin}:\n${output}`)
    if (Date.now() > deadline) {
      await close()
      throw new Error(`the example app did not answer GET ${origin}/healthz within ${startTimeout / 1000} s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { origin, output: () => output, close }
}

/**
 * {@link startExampleApp} on fresh free ports; `ports` names the variables that get one each
 * (PORT, DEMO_PROVIDER_PORT). Retries when another process took a port in between.
 */
export async function startExampleAppOnFreePorts (env: Record<string, string>, ports: string[]): Promise<ExampleApp> {
  let lastError: Error | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    const chosen: Record<string, string> = {}
    for (const name of ports) {
      let port: string
      do port = String(await freePort())
      while (Object.values(chosen).includes(port))
      chosen[name] = port
    }
    try {
      return await startExampleApp({ ...env, ...chosen })
    } catch (error) {
      lastError = error as Error
      if (!/already in use/.test(lastError.message)) throw lastError
    }
  }
  throw lastError ?? new Error('could not start the example app')
}

/**
 * The example app as `npm start` runs it, with its defaults, on free ports: the app on 127.0.0.1
 * and its demo provider on localhost (two sites), a fresh session secret, logs at info (JSON,
 * since its output is a pipe). Closed at `t`'s teardown.
 */
export async function startDemoExampleApp (t: { teardown (fn: () => unknown): void }): Promise<ExampleApp> {
  const app = await startExampleAppOnFreePorts({
    HOST: '127.0.0.1',
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'info'
  }, ['PORT', 'DEMO_PROVIDER_PORT'])
  t.teardown(() => app.close())
  return app
}
