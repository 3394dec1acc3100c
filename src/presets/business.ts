/** Presets of business APIs called server to server (two-legged, the app's own credentials). */
import { invalidOption } from '../errors.js'
import { baseOf, preset } from './define.js'
import type { ProviderPreset } from './types.js'

/**
 * NetSuite token-based authentication: two-legged with a fixed token, HMAC-SHA256, `realm` is the
 * account id upper-cased with `_` (`1234567_SB1`).
 */
export function netsuite (options: { accountId: string }): Readonly<ProviderPreset> {
  const accountId = options?.accountId
  if (typeof accountId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(accountId)) invalidOption('accountId', 'a NetSuite account id such as 1234567 or 1234567_SB1')
  const realm = accountId.toUpperCase().replace(/-/g, '_')
  const host = accountId.toLowerCase().replace(/_/g, '-')
  return preset({
    id: 'netsuite',
    label: 'NetSuite (token-based authentication)',
    legs: 2,
    signatureMethod: 'HMAC-SHA256',
    realm,
    baseUrl: `https://${host}.suitetalk.api.netsuite.com/`,
    apiOrigins: [`https://${host}.suitetalk.api.netsuite.com`, `https://${host}.restlets.api.netsuite.com`],
    denial: [],
    userFields: {},
    quirks: ['pass token and tokenSecret (the TBA token) with the consumer credentials', 'HMAC-SHA1 is refused']
  })
}

/** Mastercard APIs: RSA-SHA256 and a SHA-256 `oauth_body_hash` on every request, GET included. */
export function mastercard (options: { sandbox?: boolean } = {}): Readonly<ProviderPreset> {
  const host = options?.sandbox === true ? 'https://sandbox.api.mastercard.com' : 'https://api.mastercard.com'
  return preset({
    id: 'mastercard',
    label: 'Mastercard APIs',
    legs: 2,
    signatureMethod: 'RSA-SHA256',
    bodyHash: 'sha256',
    baseUrl: `${host}/`,
    apiOrigins: [host],
    denial: [],
    userFields: {},
    quirks: ['the private key comes from the .p12 of the developer portal: convert it to PEM (openssl pkcs12 -nocerts -nodes)']
  })
}

/** WooCommerce REST over plain HTTP: one-legged, parameters in the query string. */
export function woocommerce (options: { baseUrl: string }): Readonly<ProviderPreset> {
  const base = baseOf('baseUrl', options?.baseUrl)
  return preset({
    id: 'woocommerce',
    label: 'WooCommerce (HTTP)',
    legs: 2,
    signatureMethod: 'HMAC-SHA256',
    placement: 'query',
    baseUrl: `${base}/wp-json/wc/v3/`,
    apiOrigins: [new URL(base).origin],
    denial: [],
    userFields: {},
    quirks: ['over HTTPS use basic authentication instead; over HTTP the timestamp must be within 15 minutes']
  })
}

/** Magento 2 integrations: all four credentials, HMAC-SHA256. */
export function magento (options: { baseUrl: string }): Readonly<ProviderPreset> {
  const base = baseOf('baseUrl', options?.baseUrl)
  return preset({
    id: 'magento',
    label: 'Magento 2 integration',
    legs: 2,
    signatureMethod: 'HMAC-SHA256',
    baseUrl: `${base}/rest/V1/`,
    apiOrigins: [new URL(base).origin],
    denial: [],
    userFields: {},
    quirks: ['pass the integration\'s access token and token secret as token/tokenSecret', 'Magento 1 reports failures as oauth_problem codes']
  })
}
