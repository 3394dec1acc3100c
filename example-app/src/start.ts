/**
 * What `npm start` runs: reads `.env` from the current directory when there is one (a variable
 * already set in the environment wins over the file; see `.env.example`), then starts the app.
 * main.ts itself reads only the environment, so tests that spawn it get exactly what they pass.
 */
try {
  process.loadEnvFile('.env')
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
    process.stderr.write(`fastify-oauth1 example: cannot read .env: ${(error as Error).message}\n`)
    process.exit(1)
  }
}
await import('./main.js')
