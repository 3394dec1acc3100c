/** Presets of consumer services: users connect their own accounts (three-legged). */
import { preset } from './define.js'
import type { ProviderPreset } from './types.js'

/** X (Twitter): HMAC-SHA1; callback allow-listed in the developer portal; denial `?denied=`. */
export const x = preset({
  id: 'x',
  label: 'X (Twitter)',
  legs: 3,
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.x.com/',
  apiOrigins: ['https://api.x.com', 'https://upload.x.com'],
  requestTokenUrl: 'https://api.x.com/oauth/request_token',
  authorizeUrl: 'https://api.x.com/oauth/authorize',
  accessTokenUrl: 'https://api.x.com/oauth/access_token',
  revokeUrl: 'https://api.x.com/1.1/oauth/invalidate_token',
  denial: ['denied-param'],
  userFields: { id: 'user_id', name: 'screen_name' },
  quirks: [
    'oauth_callback must match a callback URL allow-listed in the developer portal',
    'x_auth_access_type=read|write goes in requestTokenParams; use authorizeUrl https://api.x.com/oauth/authenticate ' +
      'for "Sign in with X" (force_login, screen_name in authorizeParams)',
    'spaces must be %20, never + (this library never sends +)'
  ]
})

/** Trello: authorize needs `name`, `scope` and `expiration`. */
export const trello = preset({
  id: 'trello',
  label: 'Trello',
  legs: 3,
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.trello.com/1/',
  apiOrigins: ['https://api.trello.com'],
  requestTokenUrl: 'https://trello.com/1/OAuthGetRequestToken',
  authorizeUrl: 'https://trello.com/1/OAuthAuthorizeToken',
  accessTokenUrl: 'https://trello.com/1/OAuthGetAccessToken',
  authorizeParams: { name: 'My App', scope: 'read', expiration: '30days' },
  denial: ['missing-verifier'],
  userFields: {},
  quirks: ['authorizeParams: name (shown to the user), scope=read,write,account, expiration=1hour|1day|30days|never']
})

/** Flickr: authorize needs `perms`. */
export const flickr = preset({
  id: 'flickr',
  label: 'Flickr',
  legs: 3,
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://www.flickr.com/services/rest/',
  apiOrigins: ['https://www.flickr.com', 'https://up.flickr.com'],
  requestTokenUrl: 'https://www.flickr.com/services/oauth/request_token',
  authorizeUrl: 'https://www.flickr.com/services/oauth/authorize',
  accessTokenUrl: 'https://www.flickr.com/services/oauth/access_token',
  authorizeParams: { perms: 'read' },
  signMultipartFields: true,
  denial: ['missing-verifier'],
  userFields: { id: 'user_nsid', name: 'username' },
  quirks: ['authorizeParams.perms: read|write|delete', 'uploads (https://up.flickr.com/services/upload/) sign the non-file multipart fields']
})

/** Tumblr. */
export const tumblr = preset({
  id: 'tumblr',
  label: 'Tumblr',
  legs: 3,
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.tumblr.com/v2/',
  apiOrigins: ['https://api.tumblr.com'],
  requestTokenUrl: 'https://www.tumblr.com/oauth/request_token',
  authorizeUrl: 'https://www.tumblr.com/oauth/authorize',
  accessTokenUrl: 'https://www.tumblr.com/oauth/access_token',
  denial: ['missing-verifier'],
  userFields: {},
  quirks: []
})

/** Garmin Connect / Health API (OAuth 1.0a retires at the end of 2026). */
export const garmin = preset({
  id: 'garmin',
  label: 'Garmin Connect',
  legs: 3,
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://apis.garmin.com/',
  apiOrigins: ['https://apis.garmin.com'],
  requestTokenUrl: 'https://connectapi.garmin.com/oauth-service/oauth/request_token',
  authorizeUrl: 'https://connect.garmin.com/oauthConfirm',
  accessTokenUrl: 'https://connectapi.garmin.com/oauth-service/oauth/access_token',
  denial: ['missing-verifier'],
  userFields: {},
  quirks: ['Garmin retires OAuth 1.0a at the end of 2026; plan the move to OAuth 2.0 PKCE']
})

/** Discogs: PLAINTEXT over TLS is common; a unique User-Agent is mandatory. */
export const discogs = preset({
  id: 'discogs',
  label: 'Discogs',
  legs: 3,
  signatureMethod: 'PLAINTEXT',
  baseUrl: 'https://api.discogs.com/',
  apiOrigins: ['https://api.discogs.com'],
  requestTokenUrl: 'https://api.discogs.com/oauth/request_token',
  authorizeUrl: 'https://www.discogs.com/oauth/authorize',
  accessTokenUrl: 'https://api.discogs.com/oauth/access_token',
  denial: ['missing-verifier'],
  userFields: {},
  requiresUserAgent: true,
  quirks: ['set userAgent to a unique string such as "MyApp/1.0 +https://myapp.example"; requests without one are refused']
})

/** SmugMug. */
export const smugmug = preset({
  id: 'smugmug',
  label: 'SmugMug',
  legs: 3,
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.smugmug.com/api/v2/',
  apiOrigins: ['https://api.smugmug.com', 'https://upload.smugmug.com'],
  requestTokenUrl: 'https://api.smugmug.com/services/oauth/1.0a/getRequestToken',
  authorizeUrl: 'https://api.smugmug.com/services/oauth/1.0a/authorize',
  accessTokenUrl: 'https://api.smugmug.com/services/oauth/1.0a/getAccessToken',
  authorizeParams: { Access: 'Public', Permissions: 'Read' },
  denial: ['missing-verifier'],
  userFields: {},
  quirks: ['authorizeParams: Access=Public|Full, Permissions=Read|Add|Modify']
})

/** Zotero: the access response names the user (`userID`, `username`). */
export const zotero = preset({
  id: 'zotero',
  label: 'Zotero',
  legs: 3,
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.zotero.org/',
  apiOrigins: ['https://api.zotero.org'],
  requestTokenUrl: 'https://www.zotero.org/oauth/request',
  authorizeUrl: 'https://www.zotero.org/oauth/authorize',
  accessTokenUrl: 'https://www.zotero.org/oauth/access',
  authorizeParams: { name: 'My App', library_access: '1', write_access: '0', all_groups: 'n' },
  denial: ['missing-verifier'],
  userFields: { id: 'userID', name: 'username' },
  quirks: ['the access token secret doubles as the Zotero API key']
})

/** Evernote (production or sandbox): both token steps share one URL; tokens expire (`edam_expires`). */
export function evernote (options: { sandbox?: boolean } = {}): Readonly<ProviderPreset> {
  const sandbox = options?.sandbox === true
  const host = sandbox ? 'https://sandbox.evernote.com' : 'https://www.evernote.com'
  return preset({
    id: sandbox ? 'evernote-sandbox' : 'evernote',
    label: sandbox ? 'Evernote (sandbox)' : 'Evernote',
    legs: 3,
    signatureMethod: 'HMAC-SHA1',
    baseUrl: `${host}/`,
    apiOrigins: [host],
    requestTokenUrl: `${host}/oauth`,
    authorizeUrl: `${host}/OAuth.action`,
    accessTokenUrl: `${host}/oauth`,
    denial: ['missing-verifier'],
    userFields: { id: 'edam_userId' },
    quirks: ['access tokens expire: edam_expires (ms since epoch) is in credentials.extra', 'the note store URL is edam_noteStoreUrl']
  })
}
