/**
 * Files shared between processes: a cross-process lock (withFileLock) and locked
 * read-modify-write of JSON registry files with atomic replace (updateJsonFile).
 */
export { processAlive, withFileLock, type FileLockOptions, type LockRecord } from './lock.js';
export { readJsonFile, renameWithRetry, updateJsonFile, writeFileAtomic } from './json-file.js';
