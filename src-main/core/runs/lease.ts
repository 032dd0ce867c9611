/**
 * A live run's lease: `lease.json` in the run folder says which process owns the run and
 * when it last proved it was alive. Other processes sharing the data folder (the app,
 * `serve`, a CLI run) read it to list the run as running, refuse to delete it, and call it
 * interrupted only once the lease has expired.
 */
import { readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { processAlive, writeFileAtomic } from '../files/index.js';

/** File name of the lease inside a run folder. */
export const LEASE_FILE = 'lease.json';
/** How often the owner renews its lease. */
export const LEASE_HEARTBEAT_MS = 2000;
/** A lease not renewed for this long has expired (its owner is gone or hung). */
export const LEASE_EXPIRY_MS = 15_000;

/** What lease.json holds. */
export type LeaseRecord = { pid: number; host: string; startedAt: string; heartbeatAt: string };

/** A held lease; `release()` stops the heartbeat and removes the file. */
export type HeldLease = { release(): Promise<void> };

/**
 * Takes the lease of `runDir` for this process and renews it every `heartbeatMs` until released.
 * A failed renewal (folder deleted, disk full) is retried at the next beat; the lease then
 * simply expires, which is what other processes should see.
 */
export async function acquireLease(runDir: string, heartbeatMs = LEASE_HEARTBEAT_MS): Promise<HeldLease> {
  const file = path.join(runDir, LEASE_FILE);
  const startedAt = new Date().toISOString();
  const write = (): Promise<void> =>
    // Not flushed: rewritten every heartbeat, and a lease lost in a crash only expires sooner.
    writeFileAtomic(file, JSON.stringify({ pid: process.pid, host: hostname(), startedAt, heartbeatAt: new Date().toISOString() } satisfies LeaseRecord), { durable: false });
  await write();
  let released = false;
  const timer = setInterval(() => void write().catch(() => {}), heartbeatMs);
  timer.unref();
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await rm(file, { force: true }).catch(() => {});
    },
  };
}

/**
 * Reads the lease of `runDir`: `live` when it was renewed within `expiryMs` and, on this
 * host, its process still exists; `expired` otherwise; `none` without a lease file.
 */
export async function readLease(runDir: string, now = Date.now(), expiryMs = LEASE_EXPIRY_MS): Promise<{ state: 'live' | 'expired' | 'none'; lease?: LeaseRecord }> {
  let lease: LeaseRecord;
  try {
    lease = JSON.parse(await readFile(path.join(runDir, LEASE_FILE), 'utf8')) as LeaseRecord;
  } catch {
    return { state: 'none' };
  }
  const age = now - Date.parse(lease.heartbeatAt);
  const alive = lease.host !== hostname() || processAlive(lease.pid);
  return { state: Number.isFinite(age) && age <= expiryMs && alive ? 'live' : 'expired', lease };
}
