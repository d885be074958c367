import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

const SPEC_DEFAULTS = {
  sftpd: {
    bind_port: 2022,
    bind_address: '',
    idle_timeout: 15,
    max_auth_tries: 0,
    max_per_host_connections: 0,
    umask: '0022',
    banner: '',
    upload_mode: 0,
    actions: { execute_on: [], command: '', http_notification_url: '' },
    keys: [],
    enable_scp: false,
    kex_algorithms: [],
    ciphers: [],
    macs: [],
    login_banner_file: '',
    setstat_mode: 0,
    enabled_ssh_commands: ['md5sum', 'sha1sum', 'cd', 'pwd'],
    keyboard_interactive_auth_program: '',
    proxy_protocol: 0,
    proxy_allowed: [],
    workers: 1,
    grace_time: 30,
    defender: {
      enabled: false,
      score_per_failure: 1,
      threshold: 15,
      ban_time: 30,
      observation_time: 30,
      allow_list: [],
    },
  },
  data_provider: {
    driver: 'sqlite',
    name: 'sftpgo.db',
    host: '',
    port: 5432,
    username: '',
    password: '',
    sslmode: 0,
    connection_string: '',
    users_table: 'users',
    manage_users: 1,
    track_quota: 2,
    pool_size: 0,
    users_base_dir: '',
    actions: { execute_on: [], command: '', http_notification_url: '' },
    external_auth_program: '',
    external_auth_scope: 0,
    credentials_path: 'credentials',
  },
  httpd: {
    bind_port: 8080,
    bind_address: '127.0.0.1',
    templates_path: 'templates',
    static_files_path: 'static',
    backups_path: 'backups',
    auth_user_file: '',
    certificate_file: '',
    certificate_key_file: '',
  },
};

describe('loadConfig', () => {
  it("gives the spec's defaults when there is no configuration file", async () => {
    const { config, file, ignoredFiles } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(file).toBeUndefined();
    expect(ignoredFiles).toEqual([]);
    expect(config).toEqual(SPEC_DEFAULTS);
  });

  it('fills the keys a file leaves out with their defaults', async () => {
    await writeFile(join(tmp.path, 'custom.json'), JSON.stringify({ sftpd: { bind_port: 2200 } }));
    const { config, file } = await loadConfig(tmp.path, 'custom', {});
    expect(file).toBe(join(tmp.path, 'custom.json'));
    expect(config.sftpd).toEqual({ ...SPEC_DEFAULTS.sftpd, bind_port: 2200 });
    expect(config.httpd).toEqual(SPEC_DEFAULTS.httpd);
  });

  it('ignores an unknown key with a warning that names it and the file', async () => {
    const file = join(tmp.path, 'sftpgo.json');
    await writeFile(file, JSON.stringify({ sftpd: { bind_prot: 22, bind_port: 2200 }, extra: {} }));
    const { config, warnings } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(config.sftpd.bind_port).toBe(2200);
    expect(warnings).toEqual([
      `${file}: unknown key "sftpd.bind_prot" ignored: did you mean "sftpd.bind_port"?`,
      `${file}: unknown key "extra" ignored`,
    ]);
  });

  it('refuses values of the wrong type or out of range', async () => {
    await writeFile(
      join(tmp.path, 'sftpgo.json'),
      JSON.stringify({ sftpd: { bind_port: 70000 }, httpd: { bind_address: {} } }),
    );
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /"sftpd\.bind_port": .*65535.*"httpd\.bind_address"/,
    );
  });

  it('refuses a umask that is not an octal mode', async () => {
    await writeFile(join(tmp.path, 'sftpgo.json'), '{"sftpd": {"umask": "777x"}}');
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /"sftpd\.umask": must be an octal/,
    );
  });

  it('takes addresses and networks as proxy_allowed, and refuses anything else by its index', async () => {
    const allowed = ['10.0.0.5', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32'];
    await writeFile(
      join(tmp.path, 'sftpgo.json'),
      JSON.stringify({ sftpd: { proxy_protocol: 2, proxy_allowed: allowed } }),
    );
    const { config } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(config.sftpd).toMatchObject({ proxy_protocol: 2, proxy_allowed: allowed });
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', 'proxy.example.com', '10.0.0.0/8/1']) {
      await writeFile(
        join(tmp.path, 'sftpgo.json'),
        JSON.stringify({ sftpd: { proxy_allowed: ['10.0.0.5', bad] } }),
      );
      await expect(loadConfig(tmp.path, 'sftpgo', {}), bad).rejects.toThrow(
        /"sftpd\.proxy_allowed\.1": must be an IP address or a CIDR network/,
      );
    }
  });

  it('takes sftpd.workers from the environment, and refuses more than one with the memory provider', async () => {
    const { config } = await loadConfig(tmp.path, 'sftpgo', { SFTPGO_SFTPD__WORKERS: '0' });
    expect(config.sftpd.workers).toBe(0);
    await writeFile(join(tmp.path, 'sftpgo.json'), '{"data_provider": {"driver": "memory"}}');
    const memory = await loadConfig(tmp.path, 'sftpgo', {});
    expect(memory.config.sftpd.workers).toBe(1);
    await expect(loadConfig(tmp.path, 'sftpgo', { SFTPGO_SFTPD__WORKERS: '2' })).rejects.toThrow(
      /"sftpd\.workers": the memory provider keeps its users in one process/,
    );
  });

  it('takes sftpd.max_per_host_connections, with any number of workers', async () => {
    await writeFile(join(tmp.path, 'sftpgo.json'), '{"sftpd": {"max_per_host_connections": 20}}');
    const { config } = await loadConfig(tmp.path, 'sftpgo', { SFTPGO_SFTPD__WORKERS: '0' });
    expect(config.sftpd.max_per_host_connections).toBe(20);
    expect(config.sftpd.workers).toBe(0);
    await writeFile(join(tmp.path, 'sftpgo.json'), '{"sftpd": {"max_per_host_connections": -1}}');
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /"sftpd\.max_per_host_connections"/,
    );
  });

  it('says which drivers exist', async () => {
    await writeFile(join(tmp.path, 'sftpgo.json'), '{"data_provider": {"driver": "oracle"}}');
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /"data_provider.driver": .*"sqlite"\|"postgresql"\|"mysql"\|"bolt"\|"memory"/,
    );
  });

  it('names each bad data_provider key', async () => {
    await writeFile(
      join(tmp.path, 'sftpgo.json'),
      JSON.stringify({
        data_provider: {
          driver: 'postgresql',
          sslmode: 4,
          users_table: 'users; DROP TABLE users',
          users_base_dir: 'relative/dir',
          actions: {
            execute_on: ['upload'],
            command: 'notify.sh',
            http_notification_url: 'ftp://x',
          },
        },
      }),
    );
    const message = String(await loadConfig(tmp.path, 'sftpgo', {}).catch((e: unknown) => e));
    for (const key of [
      'data_provider.sslmode"',
      'data_provider.users_table": must be a table name',
      'data_provider.users_base_dir": must be an absolute path',
      'data_provider.actions.execute_on.0"',
      'data_provider.actions.command": must be an absolute path',
      'data_provider.actions.http_notification_url": must be an http or https URL',
    ]) {
      expect(message).toContain(key);
    }
    await writeFile(
      join(tmp.path, 'sftpgo.json'),
      JSON.stringify({ data_provider: { driver: 'mysql', name: '' } }),
    );
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /"data_provider.name": give the database name, or a connection_string/,
    );
  });

  it('takes a sqlite connection_string in place of the file name', async () => {
    await writeFile(
      join(tmp.path, 'sftpgo.json'),
      JSON.stringify({ data_provider: { name: '', connection_string: 'file:users.db' } }),
    );
    const { config } = await loadConfig(tmp.path, 'sftpgo', {});
    expect(config.data_provider.connection_string).toBe('file:users.db');
    await writeFile(join(tmp.path, 'sftpgo.json'), JSON.stringify({ data_provider: { name: '' } }));
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(
      /"data_provider.name": the sqlite driver needs a file name/,
    );
  });

  it('reports malformed JSON with the file name', async () => {
    await writeFile(join(tmp.path, 'sftpgo.json'), '{"sftpd": ');
    await expect(loadConfig(tmp.path, 'sftpgo', {})).rejects.toThrow(/sftpgo\.json: invalid JSON/);
  });

  it('refuses a config file name with a directory or an extension', async () => {
    await expect(loadConfig(tmp.path, '../etc/sftpgo', {})).rejects.toThrow(/without directory/);
    await expect(loadConfig(tmp.path, 'sftpgo.json', {})).rejects.toThrow(/without directory/);
    await expect(loadConfig(tmp.path, 'sftpgo.YAML', {})).rejects.toThrow(/without directory/);
  });

  it('reads a config file name with a dot as the reference does: sftpgo.prod from sftpgo.prod.json', async () => {
    const file = join(tmp.path, 'sftpgo.prod.json');
    await writeFile(file, '{"sftpd": {"bind_port": 2200}}');
    const loaded = await loadConfig(tmp.path, 'sftpgo.prod', {});
    expect(loaded.file).toBe(file);
    expect(loaded.config.sftpd.bind_port).toBe(2200);
  });
});
