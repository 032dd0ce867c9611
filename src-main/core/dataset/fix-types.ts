/** Plain data of the dataset's fixes (no Node): the contract re-exports these to the renderer. */

/** One excluded file. */
export type Exclusion = {
  /** Path relative to the dataset root, posix separators, e.g. `roses/1.jpg` (as the scan names it). */
  path: string;
  /** sha256 of its bytes when it was excluded, when known. */
  contentHash?: string;
  /** Why, for a person (e.g. "outlier", "duplicate of roses/2.jpg"). */
  reason?: string;
  /** ISO 8601. */
  excludedAt: string;
};

/** One logged move of a photo to another class folder. */
export type MoveFix = {
  id: string;
  kind: 'move';
  /** Dataset-relative paths (posix) before and after. */
  from: string;
  to: string;
  /** sha256 of the file's bytes: an undo checks the file is still the one that was moved. */
  contentHash: string;
  /** ISO 8601. */
  at: string;
  /** Set once undone (the entry stays: the log is a history). */
  undoneAt?: string;
};
