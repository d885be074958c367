// Bundles an app's entry points, with the workspace packages (from their
// TypeScript sources) and the pure-JavaScript libraries, into bundle/, so
// that its packed package depends on nothing unpublished. Only what cannot be
// bundled stays outside: the native modules with their loaders, which are the
// package's `dependencies`, and optional peers that are loaded only when
// present. Used by the `sftpgo` and `sftpgo-portable` packages.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeBuildInfo } from './write-build-info.mjs';

/** Native modules and their loaders: the `dependencies` of a packed app. */
export const NATIVE = ['@node-rs/argon2', 'better-sqlite3', 'lmdb', 'ssh2'];
/** Optional peers, loaded (in a try or on demand) only if installed. */
const OPTIONAL_PEERS = ['pg-native', 'cpu-features', 'typescript'];

/**
 * Bundles `entryPoints` (relative to the app's folder `root`, a URL ending
 * with `/`) into `<root>/bundle/`, with the build info beside them; returns
 * that folder's URL once the sizes are printed.
 */
export async function bundleApp(root, entryPoints) {
  const outdir = new URL('bundle/', root);
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: fileURLToPath(root),
    entryPoints,
    outdir: fileURLToPath(outdir),
    bundle: true,
    format: 'esm',
    // An entry's dynamic imports stay files of their own (chunk-*.js), loaded
    // when it asks: see src/cli.ts for why an entry loads its code that way.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    platform: 'node',
    target: 'node20',
    conditions: ['@sftpgo/source'],
    external: [...NATIVE, ...OPTIONAL_PEERS],
    // The CommonJS libraries bundled into ESM still call `require` for Node's
    // built-in modules.
    banner: {
      js: "import { createRequire as __sftpgoCreateRequire } from 'node:module';\nconst require = __sftpgoCreateRequire(import.meta.url);",
    },
    // node-fetch (under Google's client) checks an AbortSignal by its class
    // name, which esbuild renames when two bundled classes share it
    keepNames: true,
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
  });
  const info = writeBuildInfo(outdir);
  const outputs = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .map(([file, { bytes }]) => `${file} (${Math.round(bytes / 1024)} KiB)`);
  process.stdout.write(
    `bundled ${outputs.join(', ')}; commit ${info.commit_hash}, built ${info.build_date}\n`,
  );
  return outdir;
}
