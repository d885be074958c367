// Writes docs/configuration-reference.md from the schema; a test fails when
// the committed file no longer matches, so run this after changing the schema.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderConfigurationReference } from '../src/index.js';

const target = fileURLToPath(new URL('../../../docs/configuration-reference.md', import.meta.url));
await writeFile(target, renderConfigurationReference());
console.log(`wrote ${target}`);
