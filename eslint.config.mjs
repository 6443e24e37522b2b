// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The orchestrator and every module it runs during replay: its runtime (non-type) relative imports, followed
 * transitively. Derived from the code, so a module the orchestrator starts to use is covered the day it is imported,
 * and activities (which may do I/O) are not.
 */
function replayedModules(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(
      /^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gms,
    )) {
      const base = resolve(dirname(file), spec);
      const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
      if (target) visit(target);
    }
  };
  visit(resolve(import.meta.dirname, entry));
  return [...seen].map((file) => relative(import.meta.dirname, file)).sort();
}

export const REPLAYED_MODULES = replayedModules('orchestrations/dispatchJob/dispatchJobOrchestrator.ts');

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bin/**', '*.js', '*.mjs', '.tools/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The dashboard's page script runs in the browser, as plain JS (no build step): recommended rules only.
    files: ['functions/dashboard/static/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'script',
      globals: Object.fromEntries(
        [
          'document',
          'location',
          'fetch',
          'URL',
          'URLSearchParams',
          'Option',
          'Node',
          'setTimeout',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, eqeqeq: ['error', 'always'] },
  },
  {
    // Orchestrator code is replayed: determinism is enforced here, not remembered.
    files: REPLAYED_MODULES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*'],
              message: 'Orchestrations must not use Node built-ins (replay must be deterministic).',
            },
          ],
          paths: ['fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'timers'].map(
            (name) => ({
              name,
              message: 'Orchestrations must not use Node built-ins (replay must be deterministic).',
            }),
          ),
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use context.df.createTimer.' },
        { name: 'setInterval', message: 'Use context.df.createTimer.' },
        { name: 'process', message: 'Orchestrations must not read the environment.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Use context.df.currentUtcDateTime.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Use context.df.currentUtcDateTime.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Orchestrations must be deterministic.',
        },
      ],
    },
  },
  prettier,
);
