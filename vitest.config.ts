import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './packages/test-utils/src/summary-reporter.js';

// Workspace packages export their TypeScript sources under this condition, so
// tests run against `src` and never need a prior build.
// Without vite's `module` condition, which points some dependencies (the AWS
// SDK) at builds only a bundler can load: they resolve as Node resolves them.
const conditions = ['@sftpgo/source', ...defaultServerConditions.filter((c) => c !== 'module')];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'examples/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', new SummaryReporter()],
  },
});
