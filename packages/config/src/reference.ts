import type { z } from 'zod';
import { CONFIG_EXTENSIONS } from './formats/index.js';
import { isRecord } from './objects.js';
import { ConfigSchema } from './schema.js';
import { inspect, type ValueShape } from './schema-nodes.js';

interface Entry {
  readonly key: string;
  readonly description: string;
  readonly facts: readonly string[];
}

const code = (text: string) => `\`${text}\``;

function typeLabel(shape: ValueShape): string {
  switch (shape.kind) {
    case 'section':
      return 'section';
    case 'boolean':
      return 'boolean';
    case 'string':
      return shape.values ? `one of ${shape.values.map(code).join(', ')}` : 'string';
    case 'number': {
      if (shape.values) return `one of ${shape.values.map((v) => code(String(v))).join(', ')}`;
      const base = shape.integer ? 'integer' : 'number';
      if (shape.min !== undefined && shape.max !== undefined) {
        return `${base} from ${shape.min} to ${shape.max}`;
      }
      if (shape.min !== undefined) return `${base}, at least ${shape.min}`;
      return shape.max !== undefined ? `${base}, at most ${shape.max}` : base;
    }
    case 'list': {
      const element = inspect(shape.element).shape;
      if (element.kind === 'section') return 'list of objects';
      if (element.kind === 'string' && element.values) {
        return `list of ${element.values.map(code).join(', ')}`;
      }
      return `list of ${typeLabel(element)}s`;
    }
  }
}

function described(schema: z.ZodType, key: string) {
  const node = inspect(schema);
  if (node.description === undefined) throw new Error(`the schema has no description of ${key}`);
  return { shape: node.shape, description: node.description };
}

function keysOf(schema: z.ZodType, key: string): Readonly<Record<string, z.ZodType>> {
  const { shape } = inspect(schema);
  if (shape.kind !== 'section') throw new Error(`${key} is not a section of the schema`);
  return shape.keys;
}

// `defaults` is undefined for the keys of list items, which have none: each item gives them.
function* entriesOf(
  keys: Readonly<Record<string, z.ZodType>>,
  prefix: string,
  defaults: Record<string, unknown> | undefined,
  variablePrefix: string | undefined,
): Generator<Entry> {
  for (const [name, schema] of Object.entries(keys)) {
    const key = `${prefix}.${name}`;
    const { shape, description } = described(schema, key);
    const value = defaults?.[name];
    const variable = variablePrefix && `${variablePrefix}__${name.toUpperCase()}`;
    const section = shape.kind === 'section';
    const facts = [`Type: ${typeLabel(shape)}`];
    if (!section) {
      facts.push(defaults ? `Default: ${code(JSON.stringify(value))}` : 'Required in each item');
      if (variable) facts.push(`Environment variable: ${code(variable)}`);
    }
    yield { key, description, facts };
    if (section) yield* entriesOf(shape.keys, key, isRecord(value) ? value : {}, variable);
    if (shape.kind === 'list') {
      const element = inspect(shape.element).shape;
      if (element.kind === 'section') {
        yield* entriesOf(element.keys, `${key}[]`, undefined, undefined);
      }
    }
  }
}

/** Markdown that documents every configuration key, generated from the schema. */
export function renderConfigurationReference(): string {
  const defaults: Record<string, unknown> = ConfigSchema.parse({});
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/config/src/schema.ts by `pnpm docs:config`: edit the schema, not this file. -->',
    '',
    'Every key of the configuration, section by section: what it does, its type, its',
    'default, and the environment variable that overrides it.',
    '',
    'The configuration file is `<config-file>.<ext>` in the config dir, `<ext>` being the',
    `first found of ${CONFIG_EXTENSIONS.map(code).join(', ')}.`,
    'Every key is optional, keys are case-insensitive, a key set to `null` keeps its',
    'default, and an unknown key is ignored with a warning that names it. An environment',
    'variable overrides the file, which overrides the default; its name is `SFTPGO_` and the',
    'path of the key in capitals, `__` between its parts, and one that names no key is',
    'ignored with a warning.',
    '',
    'Values are converted to the type of their key, in every format: numbers and booleans',
    '(`true`, `false`, `1`, `0`, `t`, `f`, in any case) may be given as text, a number where',
    'text is expected becomes text. In environment variables and in `.env`, `.properties`',
    'and `.ini` files every value is text: a list is comma-separated values, and a list of',
    'objects is JSON, such as `[{"private_key": "id_rsa"}]`.',
  ];
  for (const [section, schema] of Object.entries(keysOf(ConfigSchema, 'the configuration'))) {
    const sectionDefaults = defaults[section];
    lines.push('', `## ${section}`, '', described(schema, section).description);
    const entries = entriesOf(
      keysOf(schema, section),
      section,
      isRecord(sectionDefaults) ? sectionDefaults : {},
      `SFTPGO_${section.toUpperCase()}`,
    );
    for (const { key, description, facts } of entries) {
      lines.push('', `### ${code(key)}`, '', description, '', ...facts.map((f) => `- ${f}`));
    }
  }
  return `${lines.join('\n')}\n`;
}
