import type { Attrs } from './attrs.js';
import {
  SSH_FX_OK,
  SSH_FXP_ATTRS,
  SSH_FXP_HANDLE,
  SSH_FXP_NAME,
  SSH_FXP_STATUS,
  SSH_FXP_VERSION,
} from './constants.js';
import { STATUS_MESSAGES } from './errors.js';
import { PacketWriter } from './packet-writer.js';

/** Longest status message sent; longer ones (a message naming a huge path) are cut. */
const MAX_MESSAGE_LENGTH = 1024;

/** uint32 id / uint32 error code / string error message / string language tag */
export function statusReply(id: number, code: number, message?: string): Buffer {
  const full = message ?? STATUS_MESSAGES[code] ?? 'Failure';
  const text = full.length > MAX_MESSAGE_LENGTH ? `${full.slice(0, MAX_MESSAGE_LENGTH)}…` : full;
  return new PacketWriter(SSH_FXP_STATUS, 32 + text.length)
    .uint32(id)
    .uint32(code)
    .string(text)
    .string('')
    .finish();
}

export function okReply(id: number): Buffer {
  return statusReply(id, SSH_FX_OK);
}

/** uint32 id / string handle */
export function handleReply(id: number, handle: Buffer): Buffer {
  return new PacketWriter(SSH_FXP_HANDLE, 16 + handle.length).uint32(id).string(handle).finish();
}

/** uint32 id / ATTRS attrs */
export function attrsReply(id: number, attrs: Attrs): Buffer {
  return new PacketWriter(SSH_FXP_ATTRS, 48).uint32(id).attrs(attrs).finish();
}

/** uint32 id / uint32 count / count × (string filename / string longname / ATTRS attrs) */
export function nameReply(
  id: number,
  names: readonly { filename: string; longname: string; attrs: Attrs }[],
): Buffer {
  const w = new PacketWriter(SSH_FXP_NAME, 64 + names.length * 128).uint32(id).uint32(names.length);
  for (const n of names) w.string(n.filename).string(n.longname).attrs(n.attrs);
  return w.finish();
}

/** uint32 version / extension-pair* (string name / string data) */
export function versionReply(
  version: number,
  extensions: Readonly<Record<string, string>>,
): Buffer {
  const w = new PacketWriter(SSH_FXP_VERSION, 128).uint32(version);
  for (const [name, data] of Object.entries(extensions)) w.string(name).string(data);
  return w.finish();
}
