import { posix } from 'node:path';
import { cleanVirtualPath } from '@sftpgo/vfs';

/**
 * Splits an SSH exec request into words as a POSIX shell would, without
 * any expansion: quotes ('...' and "..."), backslash escapes, blanks. No shell
 * ever runs the result, so `;`, `|` or `$(...)` are plain characters.
 * @throws {Error} on an unterminated quote or a trailing backslash
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        // inside double quotes a backslash escapes only these
        if (line[j] === '\\' && '"\\$`\n'.includes(line[j + 1] ?? '')) j++;
        word += line[j];
      }
      if (j >= line.length) throw new Error('unterminated double quote');
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('trailing backslash');
      word += line[++i];
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The path an SSH command is logged and its `ssh_cmd` action fired with, by
 * the reference server's rule, whatever the command: its last argument,
 * quotes trimmed, made absolute and cleaned, a trailing `/` kept (`cd /`
 * gives `/`, `rsync --server ... . /dst/` gives `/dst/`); empty without
 * arguments or for a line that cannot be read.
 *
 * @example
 * sshCommandPath("md5sum a.txt 'b c.txt'"); // '/b c.txt'
 */
export function sshCommandPath(commandLine: string): string {
  let words: string[];
  try {
    words = splitCommandLine(commandLine);
  } catch {
    return '';
  }
  if (words.length < 2) return '';
  const last = (words.at(-1) as string).replace(/^'+|'+$/g, '').replace(/^"+|"+$/g, '');
  const absolute = last.startsWith('/') ? last : `/${last}`;
  const cleaned = posix.normalize(absolute).replace(/(.)\/+$/, '$1');
  return absolute.endsWith('/') && !cleaned.endsWith('/') ? `${cleaned}/` : cleaned;
}

/** A path as a client names it on a command line (`~`, `~/x`, relative names from `/`), in the user's space. */
export function homePath(arg: string): string {
  const name = arg === '~' ? '/' : arg.startsWith('~/') ? arg.slice(1) : arg;
  return cleanVirtualPath(name);
}
