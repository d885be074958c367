export { type RunningPortable, startPortable } from './portable.js';
export { portableOptions, readyText, runPortable } from './portable-command.js';
export {
  type PortableFlags,
  type PortableSettings,
  PortableUsageError,
  portableSettings,
} from './portable-settings.js';
