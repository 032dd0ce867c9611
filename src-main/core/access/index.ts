/**
 * Path access: which folders a request may read or write, the one lexical check of a
 * requested path, and opening files confined to a folder (regular files only, size-capped).
 */
export { createAccessPolicy, isInside, type Access, type AccessPolicy } from './policy.js';
export { checkRequestPath, MAX_PATH_CHARS } from './path-check.js';
export { DEFAULT_MAX_FILE_BYTES, openConfined, readConfined, readOpened, type ConfinedFile, type ConfinedReadOptions, type ReadOpenedOptions } from './read-file.js';
