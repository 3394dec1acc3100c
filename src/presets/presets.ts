/**
 * Provider presets: plain frozen data by category (consumer.ts, enterprise.ts, business.ts), the
 * catalog (registry.ts) and the logic that resolves and applies them (apply.ts).
 */
export type { DenialStyle, UserFields, ProviderPreset, ProviderPresetInput } from './types.js'
export { defaultDenialStyles, defaultUserFields, legsOf } from './types.js'
export { withDeprecatedFlow } from './define.js'
export { x, trello, flickr, tumblr, garmin, discogs, smugmug, zotero, evernote } from './consumer.js'
export { jira, schoology } from './enterprise.js'
export { netsuite, mastercard, woocommerce, magento } from './business.js'
export { presets, presetFactories, type PresetName } from './registry.js'
export { presetOptionKeys, resolvePreset, presetFacts, applyPreset, userOf, type PresetFields, type PresetFacts } from './apply.js'
