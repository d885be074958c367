/** The per-directory permissions of the spec; `*` grants them all. */
export const PERMISSIONS = [
  '*',
  'list',
  'download',
  'upload',
  'overwrite',
  'delete',
  'rename',
  'create_dirs',
  'create_symlinks',
  'chmod',
  'chown',
  'chtimes',
] as const;

export type Permission = (typeof PERMISSIONS)[number];
