#!/usr/bin/env node
/**
 * The `fastify-oauth1` bin: PIN sign-in (`authorize`) and signed calls (`request`) from a
 * terminal, for the job twurl does for X. See docs/cli.md.
 *
 * @packageDocumentation
 */
import { run } from './run.js'

run(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
  .then((code) => { process.exitCode = code }, () => { process.exitCode = 1 })
