import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { DRIVERS, isValidTableName } from '@sftpgo/provider';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

/**
 * The configuration file, with the spec's defaults. Only the keys that this
 * version acts on are accepted: an unknown key is an error, never ignored.
 */
export const ConfigSchema = z
  .object({
    sftpd: z
      .object({
        bind_port: port.default(2022),
        bind_address: z.string().default(''),
        idle_timeout: z.number().int().nonnegative().default(15),
        max_auth_tries: z.number().int().default(0),
        banner: z.string().default(''),
        upload_mode: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
        umask: z
          .string()
          .regex(/^0?[0-7]{3}$/, { message: 'must be an octal mode such as "0022"' })
          .default('0022'),
        setstat_mode: z.union([z.literal(0), z.literal(1)]).default(0),
        kex_algorithms: z.array(z.string()).default([]),
        ciphers: z.array(z.string()).default([]),
        macs: z.array(z.string()).default([]),
        login_banner_file: z.string().default(''),
        defender: z
          .object({
            enabled: z.boolean().default(false),
            score_per_failure: z.number().int().positive().default(1),
            threshold: z.number().int().positive().default(15),
            ban_time: z.number().int().positive().default(30),
            observation_time: z.number().int().positive().default(30),
            allow_list: z.array(z.string()).default([]),
          })
          .strict()
          .prefault({}),
        keyboard_interactive_auth_program: z
          .string()
          .refine((p) => p === '' || isAbsolute(p), { message: 'must be an absolute path' })
          .default(''),
        keys: z.array(z.object({ private_key: z.string().min(1) }).strict()).default([]),
      })
      .strict()
      .prefault({}),
    data_provider: z
      .object({
        driver: z.enum(DRIVERS).default('sqlite'),
        name: z.string().default('sftpgo.db'),
        host: z.string().default(''),
        port: port.default(5432),
        username: z.string().default(''),
        password: z.string().default(''),
        sslmode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).default(0),
        connection_string: z.string().default(''),
        users_table: z
          .string()
          .refine(isValidTableName, {
            message: 'must be a table name, or schema.table, of letters, digits and _',
          })
          .default('users'),
        manage_users: z.union([z.literal(0), z.literal(1)]).default(1),
        track_quota: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(2),
        pool_size: z.number().int().nonnegative().default(0),
        users_base_dir: z
          .string()
          .refine((p) => p === '' || isAbsolute(p), { message: 'must be an absolute path' })
          .default(''),
        actions: z
          .object({
            execute_on: z.array(z.enum(['add', 'update', 'delete'])).default([]),
            command: z
              .string()
              .refine((p) => p === '' || isAbsolute(p), { message: 'must be an absolute path' })
              .default(''),
            http_notification_url: z
              .string()
              .refine((u) => u === '' || /^https?:\/\/./.test(u), {
                message: 'must be an http or https URL',
              })
              .default(''),
          })
          .strict()
          .prefault({}),
        external_auth_program: z
          .string()
          .refine((p) => p === '' || isAbsolute(p), { message: 'must be an absolute path' })
          .default(''),
        external_auth_scope: z.number().int().min(0).max(7).default(0),
      })
      .strict()
      .superRefine((dp, ctx) => {
        if ((dp.driver === 'sqlite' || dp.driver === 'bolt') && dp.name === '') {
          ctx.addIssue({
            code: 'custom',
            path: ['name'],
            message: `the ${dp.driver} driver needs a file name`,
          });
        }
        const network = dp.driver === 'postgresql' || dp.driver === 'mysql';
        if (network && dp.name === '' && dp.connection_string === '') {
          ctx.addIssue({
            code: 'custom',
            path: ['name'],
            message: 'give the database name, or a connection_string',
          });
        }
      })
      .prefault({}),
    httpd: z
      .object({
        bind_port: port.default(8080),
        bind_address: z.string().default('127.0.0.1'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof ConfigSchema>;

/** A configuration that cannot be used; the message names the file and each bad key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `unknown key "${at ? `${at}.` : ''}${k}"`).join('; ');
  }
  return `"${at}": ${issue.message}`;
}

/** Validates parsed configuration data; `source` names it in errors. */
export function parseConfig(data: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(`${source}: ${result.error.issues.map(describeIssue).join('; ')}`);
  }
  return result.data;
}

/**
 * Reads `<configFile>.json` from `configDir`. A missing file means the
 * defaults; `file` is undefined then.
 */
export async function loadConfig(
  configDir: string,
  configFile: string,
): Promise<{ config: Config; file?: string }> {
  if (/[/\\]/.test(configFile) || configFile.includes('.')) {
    throw new ConfigError(
      `--config-file ${JSON.stringify(configFile)}: give a file name without directory or extension`,
    );
  }
  const file = join(configDir, `${configFile}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { config: parseConfig({}, file) };
    throw new ConfigError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  return { config: parseConfig(data, file), file };
}
