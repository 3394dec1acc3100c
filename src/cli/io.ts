import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import type { Environment } from './env.js'

/** What a command reads and writes: the process's streams and environment, or a test's. */
export interface CliIO {
  env: Environment
  stdin: Readable
  /** Results only: credentials (`export` lines) and responses, so they can be piped or `eval`'d. */
  stdout: Writable
  /** Everything for the person at the terminal: prompts, progress, diagnostics, errors. */
  stderr: Writable
}

/** The first line of `input` without its line ending, or `undefined` when it ends first. */
export async function readLine (input: Readable): Promise<string | undefined> {
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false })
  try {
    return await new Promise<string | undefined>((resolve) => {
      lines.once('line', resolve)
      lines.once('close', () => resolve(undefined))
    })
  } finally {
    lines.close()
  }
}

/** A value as one shell word in single quotes, so `eval "$(fastify-oauth1 authorize)"` reads it back unchanged. */
export function shellQuote (value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`
}
