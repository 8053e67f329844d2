// `npm run lint`: type-aware typescript-eslint rules, no import cycle, and the layers of provider/ (docs/architecture.md):
// platform < domain < methods, oidc < flows < app, with eid a library that needs only platform's errors. A layer
// may name a higher one's types only from app/ (the settings and the Services every layer receives), never its code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';

const above = {
  platform: ['domain', 'methods', 'oidc', 'flows', 'app', 'eid'],
  domain: ['methods', 'oidc', 'flows', 'app'],
  methods: ['flows', 'app'],
  oidc: ['flows', 'app'],
  flows: ['app'],
};

const layerRules = Object.entries(above).map(([layer, banned]) => ({
  files: [`provider/${layer}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: banned.map((b) => ({
          group: [`**/${b}/**`, `../${b}/*`],
          message: `provider/${layer}/ sits below provider/${b}/: pass what it needs in, or move the shared part down.`,
          allowTypeImports: b === 'app',
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'eslint.config.js', 'views/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/extensions': ['.ts'], 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // knex's query builders are thenables: passing one to where(), union() or modify() is not a forgotten promise.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      // The \`any\` these report comes in from loosely typed libraries (oidc-provider's context, knex's rows and
      // builders, fetch's json() in tests); what enters from outside is parsed with zod where it enters.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Command tables and interfaces name functions that use no \`this\`; an async function may satisfy an async
      // interface without awaiting.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  ...layerRules,
  {
    files: ['provider/**/*.ts'],
    ignores: ['provider/platform/web/router.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Router']",
          message:
            'Make routers with createRouter (platform/web/router.ts): it matches paths in their own case, so a prefix guard runs whenever its routes do.',
        },
      ],
    },
  },
  // Small modules with one job: a source file past this is split by job (docs/architecture.md).
  { files: ['provider/**/*.ts', 'card-bridge/**/*.ts'], rules: { 'max-lines': ['error', { max: 300 }] } },
  {
    files: ['provider/eid/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...['app', 'domain', 'methods', 'oidc', 'flows'].flatMap((l) => [`**/${l}/**`, `../${l}/*`]), '**/platform/*', '!**/platform/errors.ts'],
              message: 'provider/eid/ is a library (belid/eid): it needs nothing of the provider but its errors.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
