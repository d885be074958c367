import type { User } from '@sftpgo/provider';
import type ssh2 from 'ssh2';
import { EXTERNAL_SCOPE, runExternalAuth } from './external-auth.js';
import { type Challenge, keyboardInteractiveLogin } from './keyboard-interactive.js';
import {
  authorizedKeyOf,
  externalLogin,
  interactiveLogin,
  LoginError,
  type OfferedKey,
  passwordLogin,
  publicKeyLogin,
  verifyOfferedSignature,
} from './login.js';
import type { UserSource } from './user-source.js';

type Method = keyof typeof EXTERNAL_SCOPE;

export interface AuthenticatorOptions {
  readonly users: UserSource;
  /** The spec's `keyboard_interactive_auth_program`. */
  readonly keyboardInteractiveProgram?: string;
  /** The spec's `external_auth_program` and `external_auth_scope` (0: every method). */
  readonly externalAuth?: { readonly program: string; readonly scope: number };
}

function offeredKey(ctx: ssh2.PublicKeyAuthContext): OfferedKey {
  return {
    algo: ctx.key.algo,
    data: ctx.key.data,
    ...(ctx.signature && ctx.blob
      ? { signature: { blob: ctx.blob, signature: ctx.signature, hashAlgo: ctx.hashAlgo } }
      : {}),
  };
}

function asker(ctx: ssh2.KeyboardAuthContext) {
  return (challenge: Challenge) =>
    new Promise<string[]>((resolve) =>
      ctx.prompt(
        challenge.questions.map((q) => ({ prompt: q.prompt, echo: q.echo })),
        '',
        challenge.instruction,
        (answers: string[]) => resolve(answers),
      ),
    );
}

/**
 * Decides SSH logins by every method of the spec: password, public key and
 * keyboard-interactive, each against the user source or, within its scope,
 * through the external authentication program.
 */
export class Authenticator {
  /** The methods offered, in the order clients should try them. */
  readonly methods: ssh2.AuthenticationType[];
  readonly #options: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    if (options.externalAuth?.program && !options.users.upsertUser) {
      throw new Error(
        'external authentication needs a user source that can store users (upsertUser)',
      );
    }
    this.#options = options;
    this.methods = ['publickey', 'password'];
    if (options.keyboardInteractiveProgram || this.#external('keyboard-interactive')) {
      this.methods.push('keyboard-interactive');
    }
  }

  #external(method: Method): string | undefined {
    const external = this.#options.externalAuth;
    if (!external?.program) return undefined;
    const applies = external.scope === 0 || (external.scope & EXTERNAL_SCOPE[method]) !== 0;
    return applies ? external.program : undefined;
  }

  supports(method: string): method is Method {
    return (this.methods as string[]).includes(method);
  }

  /**
   * The user logged in by `ctx`; `null` when a key offered without a
   * signature may be used (the client signs next). Rejects with a
   * {@link LoginError} saying why a login is refused.
   */
  async check(ctx: ssh2.AuthContext, clientIp: string): Promise<User | null> {
    const { users } = this.#options;
    // checked by the constructor: only a source that stores users has external programs
    const store = users as Required<Pick<UserSource, 'upsertUser'>>;
    const context = { clientIp };
    switch (ctx.method) {
      case 'password': {
        const program = this.#external('password');
        if (!program) return passwordLogin(users, ctx.username, ctx.password, context);
        const returned = await runExternalAuth(program, {
          username: ctx.username,
          password: ctx.password,
        });
        return externalLogin(store, returned, { password: ctx.password }, context);
      }
      case 'publickey': {
        const offered = offeredKey(ctx);
        const program = this.#external('publickey');
        if (!program) {
          const user = await publicKeyLogin(users, ctx.username, offered, context);
          return offered.signature ? user : null;
        }
        if (!offered.signature) return null;
        if (!verifyOfferedSignature(offered)) throw new LoginError('invalid public key signature');
        const publicKey = authorizedKeyOf(offered.data);
        const returned = await runExternalAuth(program, { username: ctx.username, publicKey });
        return externalLogin(store, returned, { publicKey }, context);
      }
      case 'keyboard-interactive': {
        const dialogue = this.#options.keyboardInteractiveProgram;
        const converse = (user: User) =>
          dialogue ? keyboardInteractiveLogin(dialogue, user, asker(ctx)) : Promise.resolve();
        const program = this.#external('keyboard-interactive');
        if (!program) return interactiveLogin(users, ctx.username, converse, context);
        const returned = await runExternalAuth(program, {
          username: ctx.username,
          keyboardInteractive: true,
        });
        const user = await externalLogin(store, returned, {}, context);
        await converse(user);
        return user;
      }
      default:
        throw new LoginError(`method ${ctx.method} is not offered`);
    }
  }
}
