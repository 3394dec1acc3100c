import neostandard from 'neostandard'

// The layers of src/, lowest first. A file may import only from its own layer or lower ones;
// only the adapters (fastify/, express/, testing/) may import a web framework; cli/ (the bin) uses the core layers only.
const layers = ['protocol', 'tracing', 'signer', 'presets', 'http', 'provider', 'sign-in', 'cli', 'adapters']
const folders = { adapters: ['fastify', 'express', 'testing'] }
const frameworks = ['fastify', 'fastify-plugin', '@fastify/*', 'express', 'express-session']

function layerRules (layer, index) {
  const higher = layers.slice(index + 1).flatMap((name) => folders[name] ?? [name])
  const own = folders[layer] ?? [layer]
  return {
    files: own.map((folder) => `src/${folder}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...higher.map((name) => ({ group: [`../${name}/*`, `../../${name}/*`], message: `src/${own[0]}/ is below src/${name}/ and may not import it` })),
          { group: ['../core.js', '../index.js', '../../core.js', '../../index.js'], message: 'import the module you need, not an entry point' },
          ...(layer === 'adapters' ? [] : [{ group: frameworks, message: 'only the adapters import a web framework' }])
        ]
      }]
    }
  }
}

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', '.tap/**', 'coverage/**', 'test-artifacts/**', 'node_modules/**', 'docs/api/**'],
  }),
  {
    files: ['src/errors.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['./*'], message: 'errors.ts is the leaf module and imports nothing of ours' }] }] }
  },
  ...layers.map(layerRules),
  {
    // Small modules with lines that fit a screen (issue 18): the source, not the tests.
    files: ['src/**/*.ts'],
    rules: {
      '@stylistic/max-len': ['error', { code: 160, ignoreUrls: false, ignoreStrings: false, ignoreTemplateLiterals: false, ignoreRegExpLiterals: false }],
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }]
    }
  },
]
