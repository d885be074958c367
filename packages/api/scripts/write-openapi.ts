// Writes docs/openapi.json from the schemas of the API; a test fails when the
// committed file no longer matches, so run this after changing a route.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/index.js';

const target = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));
await writeFile(target, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
// in the layout `pnpm format` gives it, so that `pnpm lint` passes
execFileSync('pnpm', ['exec', 'biome', 'format', '--write', target], { stdio: 'inherit' });
console.log(`wrote ${target}`);
