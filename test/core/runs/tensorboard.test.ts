import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import type { ScalarPoint } from '../../../src-main/core/runs/scalars.js';
import {
  crc32c,
  frameRecord,
  maskedCrc32c,
  parseRecords,
  readTensorBoardScalars,
  writeTensorBoardScalars,
} from '../../../src-main/core/runs/tensorboard.js';

/** An independent decoder (protobufjs) of the Event subset we write, to cross-check the hand encoder. */
const EVENT_PROTO = `
syntax = "proto3";
message PluginData { string plugin_name = 1; bytes content = 2; }
message SummaryMetadata { PluginData plugin_data = 1; }
message TensorProto { int32 dtype = 1; bytes tensor_shape = 2; repeated bytes string_val = 8; }
message Value { string tag = 1; float simple_value = 2; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
message Summary { repeated Value value = 1; }
message SourceMetadata { string writer = 1; }
message Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; SourceMetadata source_metadata = 10; }
`;
const EventType = protobuf.parse(EVENT_PROTO, { keepCase: true }).root.lookupType('Event');

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
function point(step: number, i: number): ScalarPoint {
  return {
    step,
    wallTimeMs: T0 + i * 1500,
    relativeTimeMs: i * 1500,
    trainAccuracy: 0.5 + i * 0.1,
    trainCrossEntropy: 1.5 - i * 0.25,
    validationAccuracy: 0.4 + i * 0.1,
    validationCrossEntropy: 1.75 - i * 0.25,
  };
}

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'rs-tb-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('crc32c', () => {
  it('matches the standard check value of "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 B.4: 32 bytes of zeros.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });

  it('masks as TFRecord does', () => {
    const crc = 0xe3069283;
    const expected = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe(expected);
  });

  it('frames a record that parses back and rejects a flipped byte', () => {
    const data = Buffer.from('hello tensorboard');
    const framed = frameRecord(data);
    expect(framed.length).toBe(8 + 4 + data.length + 4);
    expect(Number(framed.readBigUInt64LE(0))).toBe(data.length);
    expect(Buffer.from(parseRecords(framed)[0]).toString()).toBe('hello tensorboard');
    const bad = Buffer.from(framed);
    bad[14] ^= 0x01;
    expect(() => parseRecords(bad)).toThrow(/data CRC mismatch/);
    const badLength = Buffer.from(framed);
    badLength[0] ^= 0x01;
    expect(() => parseRecords(badLength)).toThrow(/length CRC mismatch/);
    expect(() => parseRecords(framed.subarray(0, framed.length - 2))).toThrow(/truncated/);
  });
});

describe('writeTensorBoardScalars / readTensorBoardScalars', () => {
  const points = [point(0, 0), point(10, 1), point(20, 2), point(29, 3)];

  it('writes train/ and validation/ event files that read back with the same values', async () => {
    const written = await writeTensorBoardScalars(dir, points, { hostname: 'testhost' });
    const secs = Math.floor(T0 / 1000);
    expect(written.train).toBe(path.join(dir, 'train', `events.out.tfevents.${secs}.testhost`));
    expect(written.validation).toBe(path.join(dir, 'validation', `events.out.tfevents.${secs}.testhost`));

    const train = await readTensorBoardScalars(written.train);
    expect(train).toHaveLength(points.length * 2);
    const trainAccuracy = train.filter((s) => s.tag === 'accuracy');
    expect(trainAccuracy.map((s) => s.step)).toEqual([0, 10, 20, 29]);
    trainAccuracy.forEach((s, i) => {
      expect(s.value).toBeCloseTo(points[i].trainAccuracy, 6);
      expect(s.wallTime).toBeCloseTo(points[i].wallTimeMs / 1000, 6);
    });
    const trainXent = train.filter((s) => s.tag === 'cross_entropy').map((s) => s.value);
    expect(trainXent).toEqual(points.map((p) => Math.fround(p.trainCrossEntropy)));

    const validation = await readTensorBoardScalars(written.validation);
    expect(validation.filter((s) => s.tag === 'accuracy').map((s) => s.value)).toEqual(points.map((p) => Math.fround(p.validationAccuracy)));
    expect(validation.filter((s) => s.tag === 'cross_entropy').map((s) => s.value)).toEqual(points.map((p) => Math.fround(p.validationCrossEntropy)));
  });

  it('encodes Events that an independent protobuf decoder reads: version first, then summaries', async () => {
    const written = await writeTensorBoardScalars(dir, points, { hostname: 'h', runName: 'lr=0.01, "fast"' });
    const records = parseRecords(await readFile(written.train));
    const events = records.map((r) => EventType.toObject(EventType.decode(r), { longs: Number, bytes: String }) as {
      wall_time?: number; step?: number; file_version?: string; summary?: { value: { tag: string; simple_value?: number; tensor?: { dtype: number; string_val: string[] }; metadata?: { plugin_data: { plugin_name: string } } }[] };
    });
    expect(events[0].file_version).toBe('brain.Event:2');
    expect(events[0].wall_time).toBeCloseTo(T0 / 1000, 6);
    expect(events[0].summary).toBeUndefined();
    // The run name as a text summary.
    const text = events[1].summary!.value[0];
    expect(text.tag).toBe('run_name');
    expect(text.metadata!.plugin_data.plugin_name).toBe('text');
    expect(text.tensor!.dtype).toBe(7);
    expect(Buffer.from(text.tensor!.string_val[0], 'base64').toString()).toBe('lr=0.01, "fast"');
    // Then one event per point with both tags.
    const scalarEvents = events.slice(2);
    expect(scalarEvents.map((e) => e.step ?? 0)).toEqual([0, 10, 20, 29]);
    expect(scalarEvents[2].summary!.value.map((v) => v.tag)).toEqual(['accuracy', 'cross_entropy']);
    expect(scalarEvents[2].summary!.value[0].simple_value).toBeCloseTo(0.7, 6);
    // The reader skips the text summary.
    expect((await readTensorBoardScalars(written.train)).some((s) => s.tag === 'run_name')).toBe(false);
  });

  it('skips non-finite values and replaces earlier event files on rewrite', async () => {
    const withNaN = [point(0, 0), { ...point(5, 1), validationAccuracy: Number.NaN, validationCrossEntropy: Number.NaN }];
    await writeTensorBoardScalars(dir, [point(0, 0)], { hostname: 'old' });
    const written = await writeTensorBoardScalars(dir, withNaN, { hostname: 'new' });
    expect(await readdir(path.join(dir, 'validation'))).toEqual([path.basename(written.validation)]);
    const validation = await readTensorBoardScalars(written.validation);
    expect(validation.map((s) => s.step)).toEqual([0, 0]);
    expect((await readTensorBoardScalars(written.train)).map((s) => s.step)).toEqual([0, 0, 5, 5]);
  });

  it('detects a corrupted byte in a written file', async () => {
    const written = await writeTensorBoardScalars(dir, points, { hostname: 'h' });
    const bytes = await readFile(written.train);
    bytes[bytes.length - 10] ^= 0x40;
    await writeFile(written.train, bytes);
    const error = await readTensorBoardScalars(written.train).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('INVALID_ARGUMENT');
    expect((error as CoreError).message).toMatch(/CRC mismatch/);
  });

  it('reports a missing file as NOT_FOUND', async () => {
    await expect(readTensorBoardScalars(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
