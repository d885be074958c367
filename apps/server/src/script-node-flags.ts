import { readFileSync } from 'node:fs';

/**
 * The flags that a script's first line gives node (`#!/usr/bin/env -S node
 * FLAGS`); none for any other line. The commands carry theirs there (see
 * cli.ts), and whatever starts one of them with node by name (the Windows
 * service, the server benchmark) passes the same.
 */
export function shebangNodeFlags(firstLine: string): string[] {
  const flags = /^#!\S*\benv(?:\s+-S)?\s+node(\s.*)?$/.exec(firstLine.trim())?.[1];
  return flags?.trim().split(/\s+/).filter(Boolean) ?? [];
}

/** {@link shebangNodeFlags} of the script at `path`; none when it cannot be read. */
export function scriptNodeFlags(path: string): string[] {
  try {
    return shebangNodeFlags(readFileSync(path, 'utf8').split('\n', 1)[0] ?? '');
  } catch {
    return [];
  }
}
