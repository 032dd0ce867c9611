import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRequestPath, createAccessPolicy, readConfined } from '../../../src-main/core/access/index.js';

let root: string;
let inside: string;
let outside: string;

beforeAll(async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'rs-access-'));
  root = path.join(base, 'dataset');
  outside = path.join(base, 'secret.txt');
  await mkdir(path.join(root, 'daisy'), { recursive: true });
  inside = path.join(root, 'daisy', 'a.jpg');
  await writeFile(inside, 'jpeg bytes');
  await writeFile(outside, 'top secret');
  await symlink(outside, path.join(root, 'daisy', 'link.jpg'));
  execFileSync('mkfifo', [path.join(root, 'daisy', 'fifo.jpg')]);
});

describe('checkRequestPath', () => {
  it.each([
    ['', 'empty'],
    ['relative/a.jpg', 'not an absolute path'],
    ['/a/\u0007b.jpg', 'control character'],
    ['//server/share/a.jpg', 'UNC'],
    ['/a/../etc/passwd', '".."'],
    ['/a/%2e%2e/etc/passwd', '".."'],
    ['/a/./b.jpg', '".."'],
    ['/' + 'x'.repeat(5000), 'longer than'],
  ])('refuses %j (%s)', (value, why) => {
    expect(() => checkRequestPath(value, 'linux')).toThrow(why);
  });
  it.each([
    ['C:\\data\\a.jpg:stream', 'alternate data streams'],
    ['C:\\data\\CON', 'device names'],
    ['\\\\?\\C:\\a.jpg', 'UNC'],
  ])('on Windows refuses %j', (value, why) => {
    expect(() => checkRequestPath(value, 'win32')).toThrow(why);
  });
  it('accepts plain absolute paths', () => {
    expect(checkRequestPath('/home/me/flowers/daisy/1.jpg', 'linux')).toBe('/home/me/flowers/daisy/1.jpg');
    expect(checkRequestPath('C:\\flowers\\daisy\\1.jpg', 'win32')).toBe('C:\\flowers\\daisy\\1.jpg');
  });
});

describe('createAccessPolicy', () => {
  it('reads inside granted folders only, after resolving symlinks', async () => {
    const policy = createAccessPolicy();
    await expect(policy.resolveReadable(inside)).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    policy.grant(root);
    await expect(policy.resolveReadable(inside)).resolves.toBe(inside);
    await expect(policy.resolveReadable(path.join(root, 'daisy', 'link.jpg'))).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    await expect(policy.resolveReadable(path.join(root, 'missing.jpg'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(policy.resolveReadable('daisy/a.jpg')).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  });
  it('writes only inside folders granted for writing, including ones not created yet', async () => {
    const policy = createAccessPolicy({ read: [root] });
    expect(await policy.mayWrite(path.join(root, 'export'))).toBe(false);
    policy.grant(path.join(root, 'exports'), 'write');
    expect(await policy.mayWrite(path.join(root, 'exports', 'run-1'))).toBe(true);
    expect(await policy.mayWrite(path.join(root, 'exports'))).toBe(true);
    expect(await policy.mayWrite(path.join(root, 'daisy'))).toBe(false);
  });
});

describe('readConfined', () => {
  it('reads a regular file inside its folder', async () => {
    const { bytes } = await readConfined('daisy/a.jpg', { root });
    expect(bytes.toString()).toBe('jpeg bytes');
  });
  it('refuses a symlink out of the folder without echoing its contents', async () => {
    const error = (await readConfined('daisy/link.jpg', { root }).then(() => null, (e: unknown) => e)) as Error & { code: string };
    expect(error).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    expect(error.message).not.toContain('top secret');
    await expect(readConfined('../secret.txt', { root })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  });
  it('refuses a FIFO at once instead of blocking on it', async () => {
    await expect(readConfined('daisy/fifo.jpg', { root })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    await expect(readConfined(root)).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  });
  it('refuses a file over the cap with TOO_LARGE', async () => {
    await expect(readConfined(inside, { maxBytes: 4 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });
});
