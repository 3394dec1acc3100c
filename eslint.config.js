import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['dist/**', '.tap/**', 'coverage/**', 'test-artifacts/**', 'node_modules/**'],
})
