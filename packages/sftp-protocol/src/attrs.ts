/**
 * File attributes as SFTP version 3 carries them (draft-02, section 5).
 * Each field is present only when its flag was set. Times are in seconds.
 */
export interface Attrs {
  size?: number;
  uid?: number;
  gid?: number;
  /** Permission and file type bits, as POSIX `st_mode`. */
  mode?: number;
  atime?: number;
  mtime?: number;
}
