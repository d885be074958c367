import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The SQL schema scripts, `sql/<driver>/YYYYMMDD.sql`. In the packed package
// they are its own `sql/`, beside `bundle/` (copied there at pack time); in
// the workspace, run from `src/` or `dist/`, they are the repository root's
// `sql/`. Each layout looks first where its scripts belong, so that the copy
// a `pnpm pack` makes for a moment in the workspace is never picked up there.
const OWN = new URL('../sql/', import.meta.url);
const REPO_ROOT = new URL('../../../sql/', import.meta.url);
const bundled = new URL('.', import.meta.url).pathname.endsWith('/bundle/');
const candidates = bundled ? [OWN, REPO_ROOT] : [REPO_ROOT, OWN];

/** The directory of the SQL schema scripts: the first candidate that exists. */
export const SQL_DIR = fileURLToPath(candidates.find((dir) => existsSync(dir)) ?? OWN);
