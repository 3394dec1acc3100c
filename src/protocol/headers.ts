/** Header values as a plain object, like Node's `OutgoingHttpHeaders`. */
export type HeaderRecord = Record<string, string | string[] | number | undefined>

/** The form content type of RFC 5849 §3.4.1.3.1. */
export const formType = 'application/x-www-form-urlencoded'

/**
 * Finds a header by case-insensitive name.
 */
export function findHeader (headers: HeaderRecord | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined
  for (const key in headers) {
    if (key.length === name.length && key.toLowerCase() === name) {
      const value = headers[key]
      if (value === undefined) return undefined
      return Array.isArray(value) ? value.join(', ') : String(value)
    }
  }
  return undefined
}

/** True for `application/x-www-form-urlencoded`, with or without parameters such as `charset`. */
export function isFormContentType (contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const semi = contentType.indexOf(';')
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === formType
}
