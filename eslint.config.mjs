// ESLint runs typescript-eslint's type-aware rules for the mistakes tsc lets through: a promise nobody awaits, a
// promise passed where a plain value or a void callback is expected, an `await` on something that is not a promise;
// and in lib/, no function over 50 lines (blank lines and comments not counted). A function that must be longer
// says why on the line above it: `// eslint-disable-next-line max-lines-per-function -- <why>`; none may pass 80
// lines even so (test/tooling/function-length.test.ts ignores those comments).
// Unused locals and parameters are tsc's (noUnusedLocals, noUnusedParameters); unused exports, files and
// dependencies are knip's (knip.json). Usage: npm run lint
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

export default defineConfig(
  { ignores: ['**/*.generated.mjs', 'test/fixtures/', 'node_modules/'] },
  {
    files: ['lib/**/*.{ts,mjs}', 'scripts/**/*.mjs', 'test/**/*.{ts,mjs}', 'deploy.config.mjs'],
    languageOptions: {
      parser: tseslint.parser,
      // the tsconfig.json that `npm run typecheck` reads, through TypeScript 6's API (TypeScript 7 has none yet)
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['lib/**/*.{ts,mjs}'],
    rules: {
      'max-lines-per-function': ['error', { max: 50, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
)
