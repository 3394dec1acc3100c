import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type AppConfig } from './config.js'
import { startDemoProvider, type StartedDemoProvider } from './demo-provider.js'
import { loggerOptions } from './logging.js'

function exitWith (message: string): never {
  process.stderr.write(`fastify-oauth1 example: ${message}\n`)
  process.exit(1)
}

function listenFailure (error: unknown, host: string, port: number, portVariable: string, hostVariable: string): string {
  const code = (error as { code?: string }).code
  if (code === 'EADDRINUSE') return `port ${port} on ${host} is already in use: set ${portVariable} to a free port`
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot listen on ${host}: set ${hostVariable} to an address of this machine (127.0.0.1, 0.0.0.0)`
  if (code === 'EACCES') return `not allowed to listen on port ${port}: set ${portVariable} to a port above 1023`
  return `start-up failed: ${(error as Error).message}`
}

function readConfig (): AppConfig {
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) exitWith(error.message)
    throw error
  }
}

async function main (): Promise<void> {
  const config = readConfig()
  const pretty = process.stdout.isTTY === true && process.env.LOG_FORMAT !== 'json'
  let demo: StartedDemoProvider | undefined
  if (config.provider === undefined) {
    const { host, port } = config.demoProvider
    try {
      demo = await startDemoProvider({ host, port, appUrl: `${config.publicUrl}/`, logger: loggerOptions({ level: config.logLevel, name: 'demo-provider', pretty }) })
    } catch (error) {
      exitWith(listenFailure(error, host, port, 'DEMO_PROVIDER_PORT', 'DEMO_PROVIDER_HOST'))
    }
  }
  const provider = config.provider ?? (demo as StartedDemoProvider).provider
  let app: FastifyInstance
  try {
    app = await buildApp({ ...config, provider, providerName: config.providerName ?? (demo === undefined ? undefined : 'demo') }, { prettyLogs: pretty, demo: demo !== undefined })
    await app.ready()
  } catch (error) {
    exitWith(`start-up failed: ${(error as Error).message}`)
  }
  if (config.sessionSecretGenerated) {
    app.log.warn('SESSION_SECRET is not set: using a random one for this run. Fine for the demo, but sessions end when the app restarts and instances cannot share them; set SESSION_SECRET to 32+ random characters.')
  }
  if (config.oauth1SecretFrom === 'generated') {
    app.log.warn('OAUTH1_SECRET is not set: using a random one for this run. Fine for the demo, but sign-ins in progress and connected users end when the app restarts; set OAUTH1_SECRET to 32+ random characters.')
  } else if (config.oauth1SecretFrom === 'SESSION_SECRET') {
    app.log.warn('OAUTH1_SECRET is not set: the flow cookies and the credentials are sealed with keys derived from SESSION_SECRET, as in earlier versions of this app. Set OAUTH1_SECRET to 32+ random characters of its own (connected users then connect again once).')
  }
  if (demo !== undefined) app.log.info({ provider: demo.url }, 'No OAUTH_* variables set: using the embedded DEMO OAuth 1.0a provider')
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    exitWith(listenFailure(error, config.host, config.port, 'PORT', 'HOST'))
  }
  app.log.info(`Ready: open ${config.publicUrl}/ in your browser`)

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    Promise.all([app.close(), demo?.app.close()]).then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

main().catch((error: unknown) => exitWith(`start-up failed: ${(error as Error).message}`))
