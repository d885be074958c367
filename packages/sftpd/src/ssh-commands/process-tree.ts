import { readdir, readFile } from 'node:fs/promises';

/** The parent of a process from its `/proc/<pid>/stat` line, whose name may hold spaces and parentheses. */
function parentOf(statLine: string): number | undefined {
  // pid (comm) state ppid ...
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/**
 * Every process below `pid`, read from `/proc`: the processes of a sandbox
 * are in a session and a PID namespace of their own, out of reach of a
 * signal to the process group of the bwrap that started them.
 */
export async function descendantsOf(pid: number): Promise<number[]> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const children = new Map<number, number[]>();
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (name) => {
        const line = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
        const parent = line ? parentOf(line) : undefined;
        if (parent === undefined) return;
        const list = children.get(parent) ?? [];
        list.push(Number(name));
        children.set(parent, list);
      }),
  );
  const found: number[] = [];
  const todo = [pid];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      todo.push(child);
    }
  }
  return found;
}
