import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The layers of src/ (STYLE.md 2 and 10). Imports point one way: entry (main, scripts, dev) -> app
 * -> domain modules (hubs, idempotency) -> kits (graphql, http, health) -> basics (errors, config,
 * auth, common, db). Each group below is a layer's files, by glob, and what they may not import;
 * test/unit/layers.test.ts checks the same graph for cycles.
 */
const DOMAIN_FOLDERS = ['hubs', 'idempotency'];
const DOMAINS = DOMAIN_FOLDERS.map((folder) => `**/${folder}/**`);
/** Files of every domain whose names end in one of `suffixes` (a domain's files are named by role). */
const domainFiles = (...suffixes) => DOMAIN_FOLDERS.flatMap((folder) => suffixes.map((suffix) => `src/${folder}/**/*.${suffix}.ts`));
const KITS = ['**/graphql/**', '**/http/**', '**/health/**'];
const ABOVE = ['**/app', '**/main', '**/scripts/**', '**/dev/**'];
const GRAPHQL_CODE = ['**/graphql/**', '**/*.resolver', '**/*.type', '**/*.input', '**/*.graphql'];
const GRAPHQL_PACKAGES = ['graphql', 'graphql/*', 'type-graphql', 'graphql-scalars', 'graphql-jit', 'graphql-query-complexity', '@apollo/*', '@as-integrations/*'];
const HTTP_PACKAGES = ['fastify', 'fastify/*', '@fastify/*'];

/**
 * Tracing's SDK is loaded only when tracing is configured (CONTRACT.md section 5: "unset, no
 * tracing code runs"): src/main.ts requires src/tracing/ then, and nothing else imports the SDK.
 * (@opentelemetry/api alone costs nothing, but the kits do not need it either.)
 */
const OPENTELEMETRY_SDK = ['@opentelemetry/*', '@fastify/otel'];
const SDK_OUTSIDE_TRACING = [OPENTELEMETRY_SDK, 'Only src/tracing/ loads OpenTelemetry; src/main.ts requires it only when tracing is configured.'];

const restrictGroups = (groups) => ['error', { patterns: groups.map(([group, message]) => ({ group, message })) }];
const restrict = (...groups) => restrictGroups([...groups, SDK_OUTSIDE_TRACING]);

const layers = [
  {
    // Basics: everything may use them, they use nothing above them. data-source.ts is the one
    // composition point of the domains' entities and migrations, for TypeORM.
    files: ['src/errors/**/*.ts', 'src/config/**/*.ts', 'src/auth/**/*.ts', 'src/common/**/*.ts', 'src/db/**/*.ts'],
    ignores: ['src/db/data-source.ts'],
    rule: restrict([DOMAINS, 'Basics know no domain.'], [KITS, 'Basics do not import the kits.'], [ABOVE, 'Basics do not import what builds on them.']),
  },
  {
    files: ['src/graphql/**/*.ts'],
    rule: restrict([DOMAINS, 'The GraphQL kit knows no domain: a domain plugs in as a GraphQLModule.'], [ABOVE, 'A kit does not import the app or its entry points.']),
  },
  {
    files: ['src/http/**/*.ts', 'src/health/**/*.ts'],
    rule: restrict(
      [DOMAINS, 'The HTTP kit knows no domain: a domain passes what it needs as options.'],
      [[...GRAPHQL_CODE, ...GRAPHQL_PACKAGES], 'REST and HTTP code never imports GraphQL code.'],
      [ABOVE, 'A kit does not import the app or its entry points.'],
    ),
  },
  {
    // The domain's core: it must not know which transport calls it.
    files: domainFiles('changes', 'cursor', 'entity', 'errors', 'repository', 'rules', 'service'),
    rule: restrict(
      [HTTP_PACKAGES, 'The domain does not know Fastify.'],
      [GRAPHQL_PACKAGES, 'The domain does not know GraphQL or Apollo.'],
      [[...KITS, '**/*.resolver', '**/*.type', '**/*.input', '**/*.routes', '**/*.schemas', '**/*.mapper', '**/*.graphql', '**/*.module'], 'The domain does not import transport code.'],
      [ABOVE, 'A domain does not import the app or its entry points.'],
    ),
  },
  {
    // The REST view of hubs.
    files: domainFiles('routes', 'schemas', 'mapper'),
    rule: restrict([[...GRAPHQL_CODE, ...GRAPHQL_PACKAGES], 'REST code never imports GraphQL code.'], [ABOVE, 'A domain does not import the app or its entry points.']),
  },
  {
    // The GraphQL view of hubs, and the module that plugs both views into the kits.
    files: domainFiles('resolver', 'type', 'input', 'graphql', 'module'),
    rule: restrict([ABOVE, 'A domain does not import the app or its entry points.']),
  },
  {
    // Tracing: the SDK and the hooks it gives the kits; src/main.ts loads it only when configured.
    files: ['src/tracing/**/*.ts'],
    rule: restrictGroups([
      [DOMAINS, 'Tracing knows no domain.'],
      [ABOVE, 'Tracing does not import the app or its entry points.'],
    ]),
  },
  {
    // The app and the entry points hold no tracing code of their own.
    files: ['src/*.ts', 'src/scripts/**/*.ts', 'src/dev/**/*.ts'],
    rule: restrict(),
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'test-artifacts/**', 'bench/peer/node_modules/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  ...layers.map(({ files, ignores, rule }) => ({ files, ...(ignores ? { ignores } : {}), rules: { 'no-restricted-imports': rule } })),
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
