import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Files of the domain: they must not know which transport calls them (STYLE.md, rule 10). */
const DOMAIN_FILES = [
  'src/hubs/hub.entity.ts',
  'src/hubs/hub.errors.ts',
  'src/hubs/hub.repository.ts',
  'src/hubs/hub.rules.ts',
  'src/hubs/hub.service.ts',
  'src/idempotency/**/*.ts',
  'src/errors/**/*.ts',
  'src/db/database-errors.ts',
  'src/auth/caller.ts',
  'src/common/**/*.ts',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'test-artifacts/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  {
    files: DOMAIN_FILES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['fastify', 'fastify/*', '@fastify/*'], message: 'The domain does not know Fastify.' },
            { group: ['@apollo/*', '@as-integrations/*'], message: 'The domain does not know Apollo.' },
            { group: ['graphql', 'graphql/*', 'type-graphql', 'graphql-scalars'], message: 'The domain does not know GraphQL.' },
            { group: ['**/*.resolver', '**/*.type', '**/*.input', '**/graphql/**', '**/http/**'], message: 'The domain does not import transport code.' },
          ],
        },
      ],
    },
  },
  {
    // Entry points talk to the terminal; everything else logs through pino.
    files: ['src/main.ts', 'src/scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
