import { readdirSync } from 'node:fs';

// A transfer that ends, however it ends, must close every file and directory
// it opened: a server runs many of them, and leaked descriptors add up.

/** How many descriptors the process holds, where the system tells (Linux); else undefined. */
export function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
