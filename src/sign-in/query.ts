/** First string of a query value as frameworks parse it (`?a=1&a=2` gives `'1'`); anything else gives `undefined`. */
export function firstString (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}
