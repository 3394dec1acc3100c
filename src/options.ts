import { ErrorCodes, OAuth1Error } from './errors.js'

/** Edit distance of two short names (Levenshtein), for "did you mean" suggestions. */
function distance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost)
    }
    previous = current
  }
  return previous[b.length] as number
}

/** The known name closest to `name`, when it is close enough to be a typo. */
export function closestName (name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1
  for (const candidate of known) {
    const d = distance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/**
 * Refuses option keys that no part of the library reads (a typo such as `sucessRedirect` would
 * otherwise be ignored silently), naming the closest valid key. Keys whose value is `undefined`
 * are accepted, so spreading optional values stays possible.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION`
 */
export function rejectUnknownOptions (options: object, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(options)) {
    if (known.has(key) || (options as Record<string, unknown>)[key] === undefined) continue
    const suggestion = closestName(key, known)
    const hint = suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`
    throw new OAuth1Error(ErrorCodes.INVALID_OPTION, `Unknown option "${key}" for ${where}.${hint}`)
  }
}
