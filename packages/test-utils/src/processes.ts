import { readdirSync, readFileSync } from 'node:fs';

/** The processes `pid` started and has not reaped, read now from /proc (Linux); none once it is gone. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** Every process under `pid`, its children first, then theirs, read now from /proc. */
export function descendantPids(pid: number): number[] {
  const found: number[] = [];
  for (let level = childPids(pid); level.length > 0; level = level.flatMap(childPids)) {
    found.push(...level);
  }
  return found;
}
