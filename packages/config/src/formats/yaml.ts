import { type CST, Parser, parse, type ScalarTag, type Tags, YAMLParseError } from 'yaml';
import { MAX_NESTING } from './nesting.js';

/**
 * YAML 1.1's octal integers, such as `umask: 0022`, kept as their text: an
 * octal key (umask) reads them as written, and a number key reads them in
 * decimal, as it reads the same text from a variable.
 */
function keepOctalText(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || tag.collection !== undefined || tag.format !== 'OCT') return tag;
    const octal: ScalarTag = { ...tag, resolve: (text: string) => text };
    return octal;
  });
}

/**
 * More than a configuration needs. The library looks each alias up in the
 * whole document, and the ones of a cycle (`- &a [*a]`) escape its own
 * limit: some thousands of them, in 70 KB, take seconds.
 */
const MAX_ALIASES = 100;

type Collection = CST.BlockMap | CST.BlockSequence | CST.FlowCollection;

const isCollection = (token: CST.Token): token is Collection =>
  token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';

/** Where `offset` is in `text`, as the library's messages say it: a line ends at "\n". */
function place(text: string, offset: number): string {
  const lines = text.slice(0, offset).split('\n');
  return `line ${lines.length}, column ${lines.at(-1)!.length + 1}`;
}

/**
 * Throws if the collections of `text` nest deeper than MAX_NESTING or it holds
 * more than MAX_ALIASES aliases, before the library builds its values. Reads
 * the library's syntax tree, which it builds without recursion, and walks it
 * without any. Measured after, the values would come too late: as deep as a
 * line of a thousand "[" reaches, the library's recursion overflows the
 * stack, and the next such overflow in the process ends it with a fatal
 * "RegExpCompiler Allocation failed" of V8, which no catch stops. Nested
 * explicit keys (`? ? ? x`) also take a time that grows so fast that 240 of
 * them take seconds.
 */
function checkShape(text: string): void {
  // A stack of what is left to visit, the next in the text on top.
  const pending: { token: CST.Token; depth: number }[] = [];
  for (const token of [...new Parser().parse(text)].reverse()) {
    if (token.type === 'document' && token.value) pending.push({ token: token.value, depth: 0 });
  }
  let aliases = 0;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { token } = next;
    if (token.type === 'alias' && ++aliases > MAX_ALIASES) {
      throw new Error(`more than ${MAX_ALIASES} aliases at ${place(text, token.offset)}`);
    }
    if (!isCollection(token)) continue;
    const depth = next.depth + 1;
    if (depth > MAX_NESTING) {
      throw new Error(
        `collections nested deeper than ${MAX_NESTING} levels at ${place(text, token.offset)}`,
      );
    }
    const items: readonly CST.CollectionItem[] = token.items;
    for (const { key, value } of [...items].reverse()) {
      if (value) pending.push({ token: value, depth });
      if (key) pending.push({ token: key, depth });
    }
  }
}

export function parseYaml(text: string): unknown {
  checkShape(text);
  try {
    // YAML 1.1, as the reference reads it: yes/no/on/off are booleans.
    // A file of comments only is an empty mapping. Warnings are not printed:
    // a library does not write to the console. The errors are placed below:
    // the library's own placing (prettyErrors) quotes the line of each one,
    // not only of the one thrown, and on a long line of thousands of errors,
    // such as 64 KiB of `"`, that takes seconds.
    return (
      parse(text, {
        version: '1.1',
        customTags: keepOctalText,
        logLevel: 'error',
        prettyErrors: false,
      }) ?? {}
    );
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    throw new Error(`${err.message.split('\n')[0]} at ${place(text, err.pos[0])}`, { cause: err });
  }
}
