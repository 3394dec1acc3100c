import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { MockHandler } from '../dispatcher.js'

function readBody (request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > 1024 * 1024) request.destroy(new Error('body too large'))
      else chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/**
 * Serves `handle` over HTTP on `host` and `port` (0: a free one): bodies up to 1 MiB, header
 * lists joined with `, `, and a request `handle` drops (`undefined`) is answered by closing the
 * connection.
 */
export async function serveMock (handle: MockHandler, host: string, port: number): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    readBody(req).then(async (body) => {
      const headers: Record<string, string> = Object.create(null)
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
      const response = await handle({ method: req.method ?? 'GET', url: `http://${req.headers.host ?? host}${req.url ?? '/'}`, headers, body })
      if (response === undefined) {
        res.destroy()
        return
      }
      res.writeHead(response.status, response.headers).end(response.body)
    }).catch(() => res.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const listening = (server.address() as AddressInfo).port
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${listening}` }
}
