import { discogs, evernote, flickr, garmin, smugmug, trello, tumblr, x, zotero } from './consumer.js'
import { jira, schoology } from './enterprise.js'
import { magento, mastercard, netsuite, woocommerce } from './business.js'

/** Presets that need no parameters, by id (for the plugin's `provider: 'x'`). */
export const presets = Object.freeze({
  x,
  /** The same preset as `x`, by its former name. */
  twitter: x,
  trello,
  flickr,
  tumblr,
  garmin,
  discogs,
  smugmug,
  zotero,
  schoology
})

/** Presets that need parameters, as functions. */
export const presetFactories = Object.freeze({ evernote, jira, netsuite, mastercard, woocommerce, magento })

/** A preset id usable by name. */
export type PresetName = keyof typeof presets
