import {
  type Sandbox,
  type SandboxIdentity,
  SandboxUnavailableError,
  systemSandbox,
} from './sandbox.js';
import { SYSTEM_COMMANDS } from './system-command.js';

/** The commands of `enabled` (the spec's `enabled_ssh_commands`) that run in the sandbox. */
export function sandboxedCommands(enabled: readonly string[]): string[] {
  if (enabled.includes('*')) return [...SYSTEM_COMMANDS];
  return SYSTEM_COMMANDS.filter((c) => enabled.includes(c));
}

/** The account nobody logs in as: a stand-in for users' own accounts in the probe. */
const NOBODY: SandboxIdentity = { uid: 65534, gid: 65534 };

/**
 * The start-up check of `sftpd.enabled_ssh_commands`: when it enables git
 * or rsync (by name or with `*`), the sandbox they run in must work here.
 * @returns warnings to log: the sandbox works for the server's account but
 *   not for other accounts, which users with a `uid` and `gid` run as
 * @throws {SandboxUnavailableError} saying what is missing and how to fix it
 */
export async function checkSystemCommandSandbox(
  enabled: readonly string[],
  options: { readonly bwrap?: string } = {},
): Promise<string[]> {
  const commands = sandboxedCommands(enabled);
  if (commands.length === 0) return [];
  let sandbox: Sandbox;
  try {
    sandbox = await systemSandbox(options.bwrap);
  } catch (err) {
    const how = enabled.includes('*') ? ` (through "*")` : '';
    throw new SandboxUnavailableError(
      `sftpd.enabled_ssh_commands enables ${commands.join(', ')}${how}, which run only in a ` +
        `bubblewrap sandbox, and the sandbox is not available: ${(err as Error).message}. ` +
        'Install bubblewrap (the bwrap program; Debian and Ubuntu package "bubblewrap") and ' +
        'allow user and mount namespaces, or remove these commands from ' +
        'sftpd.enabled_ssh_commands (and do not use "*").',
      { cause: err },
    );
  }
  if (process.getuid?.() !== 0) return [];
  const unprivileged = await sandbox.probeUnprivileged(NOBODY);
  if (!unprivileged) return [];
  return [
    `${commands.join(', ')} cannot run for users with a uid and gid: an account without ` +
      `privileges cannot create the sandbox (${unprivileged}); allow unprivileged user namespaces`,
  ];
}
