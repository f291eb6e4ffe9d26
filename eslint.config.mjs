// Lint: typescript-eslint's recommended rules, and the layers' import rules. Arrows point down only:
// adapters (src/rocketchat, commands, src/mattermost) → app (src/app) → core (src/core); tools and tests may import anything; the
// core imports no chat platform, no adapter and no tool. Formatting is Prettier's (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PLATFORMS = ['@rocket.chat/*', '@mattermost/*'];
const ADAPTERS = ['**/rocketchat', '**/rocketchat/**', '**/mattermost', '**/mattermost/**', '**/commands/**', '**/OAuthApp'];
const TOOLS = ['**/tools/**', '**/test/**', '**/scripts/**', '**/bench/**'];

/** An import rule for a layer: these module groups are not its to import. */
const layer = (files, forbidden, why) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message: why }] }] },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'build/**', 'test-output/**', 'data/**', 'tools/sandbox/chat-page/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer(
    ['src/core/**'],
    [...PLATFORMS, ...ADAPTERS, '**/node/**', '**/app/**', ...TOOLS],
    'the core is platform-free: it imports no chat platform, adapter, app layer or tool',
  ),
  layer(
    ['src/app/**'],
    [...PLATFORMS, ...ADAPTERS, '**/node/**', ...TOOLS],
    'the app layer is platform-neutral: it imports no chat platform, adapter, Node port or tool',
  ),
  layer(['src/node/**'], [...PLATFORMS, ...ADAPTERS, ...TOOLS], 'the Node ports import no chat platform, adapter or tool'),
  layer(
    ['src/rocketchat/**', 'src/OAuthApp.ts', 'commands/**'],
    ['@mattermost/*', '**/mattermost/**', ...TOOLS],
    'the Rocket.Chat adapter ships: it imports no tool and no other platform',
  ),
  layer(
    ['src/mattermost/**'],
    ['@rocket.chat/*', '**/rocketchat', '**/rocketchat/**', '**/OAuthApp', ...TOOLS],
    'the Mattermost service ships: it imports no tool and no other platform',
  ),
  {
    // Tests read providers' JSON answers freely.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The engine's server modules are loaded on demand, after NODE_ENV is checked (engine.ts); jest
    // spies need a module object, not an import namespace (harness-storage.test.ts).
    files: ['tools/harness/engine.ts', 'test/runtime/harness-storage.test.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        Response: 'readonly',
      },
    },
  },
);
