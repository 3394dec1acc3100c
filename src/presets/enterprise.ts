/** Presets of enterprise and institutional platforms: self-hosted or per-organisation hosts. */
import { baseOf, preset } from './define.js'
import { type ProviderPreset, defaultDenialStyles } from './types.js'

/** Jira Server / Data Center application link: RSA-SHA1 only; denial `oauth_verifier=denied`. */
export function jira (options: { baseUrl: string }): Readonly<ProviderPreset> {
  const base = baseOf('baseUrl', options?.baseUrl)
  return preset({
    id: 'jira',
    label: 'Jira Server / Data Center',
    legs: 3,
    signatureMethod: 'RSA-SHA1',
    baseUrl: `${base}/`,
    apiOrigins: [new URL(base).origin],
    requestTokenUrl: `${base}/plugins/servlet/oauth/request-token`,
    authorizeUrl: `${base}/plugins/servlet/oauth/authorize`,
    accessTokenUrl: `${base}/plugins/servlet/oauth/access-token`,
    denial: ['verifier-denied'],
    userFields: {},
    quirks: ['register an incoming application link with the consumer key and the PEM public key of privateKey']
  })
}

/** Schoology: `realm="Schoology API"`; two-legged calls still send an empty `oauth_token`. */
export const schoology = preset({
  id: 'schoology',
  label: 'Schoology',
  legs: 2,
  signatureMethod: 'HMAC-SHA1',
  realm: 'Schoology API',
  token: '',
  baseUrl: 'https://api.schoology.com/v1/',
  apiOrigins: ['https://api.schoology.com'],
  requestTokenUrl: 'https://api.schoology.com/v1/oauth/request_token',
  authorizeUrl: 'https://app.schoology.com/oauth/authorize',
  accessTokenUrl: 'https://api.schoology.com/v1/oauth/access_token',
  denial: defaultDenialStyles,
  userFields: {},
  quirks: [
    'the authorize host is your school\'s Schoology domain: override authorizeUrl',
    'how a three-legged refusal reaches the callback is not documented: the common explicit signals are honoured'
  ]
})
