import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'test-results/**', 'bench/results/**', 'bench/work/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  // Layering: shared/ is pure; only src-main/electron may import electron; the renderer never imports src-main.
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^(?!zod$|\\.{1,2}/).*', message: 'shared/ imports nothing but zod and itself.' },
        { group: ['**/src-main/**', '**/src-renderer/**'], message: 'shared/ must not depend on either side.' },
      ] }],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src-main/electron/ may import electron.' }],
        patterns: [{ group: ['**/src-renderer/**'], message: 'The engine never imports the renderer.' }] }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The renderer talks to main only through the RPC client.' }],
        patterns: [{ group: ['**/src-main/**', 'node:*'], message: 'The renderer never imports src-main or Node modules.' }] }],
    },
  },
  {
    files: ['src-renderer/vite.config.ts', 'bin/**', 'scripts/**', 'bench/**', 'eslint.config.js', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off', 'no-restricted-imports': 'off' },
    languageOptions: { globals: { ...globals.node } },
  },
);
