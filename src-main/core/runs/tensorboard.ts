/**
 * TensorBoard event files for a run's scalars, so `tensorboard --logdir <runs>` shows the
 * train and validation curves overlaid as retrain.py's summaries did. Hand-written: TFRecord
 * framing with masked CRC32C, and the handful of `Event`/`Summary` protobuf fields needed.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreError } from '../errors.js';
import type { ScalarPoint } from './scalars.js';

// ───────────────────────────── CRC32C ─────────────────────────────

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    // 0x82F63B78 is the Castagnoli polynomial, bit-reversed.
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli) of `data`, as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC32C: `((crc >>> 15) | (crc << 17)) + 0xa282ead8`, unsigned 32-bit. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// ───────────────────────────── TFRecord framing ─────────────────────────────

/** One TFRecord: uint64 length LE, masked CRC of those 8 bytes, data, masked CRC of data. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/**
 * Splits a TFRecord file into its records, verifying both CRCs of each.
 * @throws CoreError('INVALID_ARGUMENT') on a truncated record or a CRC mismatch.
 */
export function parseRecords(bytes: Uint8Array, file = 'the event file'): Uint8Array[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  const corrupt = (what: string): CoreError =>
    new CoreError('INVALID_ARGUMENT', `${file} is corrupt at byte ${offset}: ${what}. Delete it and export the run's scalars again.`, { file, offset });
  while (offset < buf.length) {
    if (offset + 12 > buf.length) throw corrupt('truncated record header');
    const lengthBig = buf.readBigUInt64LE(offset);
    if (buf.readUInt32LE(offset + 8) !== maskedCrc32c(buf.subarray(offset, offset + 8))) throw corrupt('length CRC mismatch');
    const length = Number(lengthBig);
    const start = offset + 12;
    if (start + length + 4 > buf.length) throw corrupt('truncated record');
    const data = buf.subarray(start, start + length);
    if (buf.readUInt32LE(start + length) !== maskedCrc32c(data)) throw corrupt('data CRC mismatch');
    records.push(data);
    offset = start + length + 4;
  }
  return records;
}

// ───────────────────────────── protobuf (the few fields used) ─────────────────────────────

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

/** A minimal protobuf message writer: appends fields, returns the encoded bytes. */
class ProtoWriter {
  readonly #parts: Uint8Array[] = [];

  #varint(value: bigint): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.#parts.push(Uint8Array.from(bytes));
  }

  #tag(field: number, wire: number): void {
    this.#varint(BigInt((field << 3) | wire));
  }

  varint(field: number, value: number | bigint): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(BigInt(value));
    return this;
  }

  double(field: number, value: number): this {
    this.#tag(field, WIRE_64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value, 0);
    this.#parts.push(b);
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, WIRE_32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value, 0);
    this.#parts.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array | string): this {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.#tag(field, WIRE_LEN);
    this.#varint(BigInt(data.length));
    this.#parts.push(data);
    return this;
  }

  finish(): Uint8Array {
    return Buffer.concat(this.#parts);
  }
}

type ProtoField = { field: number; wire: number; varint?: bigint; fixed?: Buffer; bytes?: Buffer };

/** Decodes one message's fields (any order, unknown fields kept raw). */
function readFields(data: Uint8Array): ProtoField[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fields: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const take = (n: number): Buffer => {
    if (pos + n > buf.length) throw new Error('protobuf: truncated field');
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === WIRE_VARINT) fields.push({ field, wire, varint: varint() });
    else if (wire === WIRE_64) fields.push({ field, wire, fixed: take(8) });
    else if (wire === WIRE_32) fields.push({ field, wire, fixed: take(4) });
    else if (wire === WIRE_LEN) fields.push({ field, wire, bytes: take(Number(varint())) });
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  return fields;
}

// Event / Summary field numbers (tensorflow/core/util/event.proto, framework/summary.proto).
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
const EVENT_SOURCE_METADATA = 10;
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;
const VALUE_TENSOR = 8;
const VALUE_METADATA = 9;
const DT_STRING = 7;

/** The version string TensorBoard expects in a file's first event. */
export const EVENT_FILE_VERSION_STRING = 'brain.Event:2';

function eventBytes(wallTimeS: number, step: number, fill: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter().double(EVENT_WALL_TIME, wallTimeS).varint(EVENT_STEP, step);
  fill(w);
  return w.finish();
}

function scalarValue(tag: string, value: number): Uint8Array {
  return new ProtoWriter().bytes(VALUE_TAG, tag).float(VALUE_SIMPLE_VALUE, value).finish();
}

/** A text summary (TensorBoard's Text tab): a DT_STRING scalar tensor with plugin "text". */
function textValue(tag: string, text: string): Uint8Array {
  const pluginData = new ProtoWriter().bytes(1, 'text').finish();
  const metadata = new ProtoWriter().bytes(1, pluginData).finish();
  const tensor = new ProtoWriter().varint(1, DT_STRING).bytes(2, new Uint8Array(0)).bytes(8, text).finish();
  return new ProtoWriter().bytes(VALUE_TAG, tag).bytes(VALUE_METADATA, metadata).bytes(VALUE_TENSOR, tensor).finish();
}

// ───────────────────────────── public API ─────────────────────────────

/** One scalar read back from an event file. `wallTime` is in seconds since the epoch, as TensorBoard stores it. */
export type TensorBoardScalar = { tag: string; step: number; wallTime: number; value: number };

/** Options of {@link writeTensorBoardScalars}. */
export type TensorBoardWriteOptions = {
  /** Written as a text summary `run_name` (TensorBoard's Text tab) at the first step. */
  runName?: string;
  /** Host name in the file name (default `os.hostname()`). */
  hostname?: string;
};

/** What {@link writeTensorBoardScalars} wrote: one event file per curve folder. */
export type TensorBoardWriteResult = { train: string; validation: string };

/** The scalar tags, as retrain.py named its summaries. */
export const TENSORBOARD_TAGS = { accuracy: 'accuracy', crossEntropy: 'cross_entropy' } as const;

const EVENT_FILE_PREFIX = 'events.out.tfevents.';

/**
 * Writes a run's curve as TensorBoard event files: `dir/train/` holds the train accuracy and
 * cross-entropy, `dir/validation/` the validation ones, under the same tags (`accuracy`,
 * `cross_entropy`) so TensorBoard overlays train against validation. Each folder gets one
 * file `events.out.tfevents.<secs>.<host>` (secs = first point's wall time, or now); earlier
 * event files in those two folders are removed so rewriting a run never duplicates points.
 * Non-finite values are skipped. Files are written to a temp name and renamed.
 * @throws Node file-system errors (ENOSPC, EACCES…) as they are.
 */
export async function writeTensorBoardScalars(dir: string, points: ScalarPoint[], options: TensorBoardWriteOptions = {}): Promise<TensorBoardWriteResult> {
  const firstMs = points.length > 0 && Number.isFinite(points[0].wallTimeMs) ? points[0].wallTimeMs : Date.now();
  const secs = Math.floor(firstMs / 1000);
  const host = (options.hostname ?? os.hostname()).replace(/[^A-Za-z0-9._-]/g, '_') || 'localhost';
  const fileName = `${EVENT_FILE_PREFIX}${secs}.${host}`;

  const curves = {
    train: (p: ScalarPoint) => [p.trainAccuracy, p.trainCrossEntropy] as const,
    validation: (p: ScalarPoint) => [p.validationAccuracy, p.validationCrossEntropy] as const,
  };
  const result = {} as TensorBoardWriteResult;
  for (const [split, pick] of Object.entries(curves) as [keyof typeof curves, (p: ScalarPoint) => readonly [number, number]][]) {
    const records: Buffer[] = [];
    records.push(frameRecord(eventBytes(firstMs / 1000, 0, (w) => {
      w.bytes(EVENT_FILE_VERSION, EVENT_FILE_VERSION_STRING);
      w.bytes(EVENT_SOURCE_METADATA, new ProtoWriter().bytes(1, 'retrain-studio').finish());
    })));
    if (options.runName) {
      const step = points[0]?.step ?? 0;
      const summary = new ProtoWriter().bytes(SUMMARY_VALUE, textValue('run_name', options.runName)).finish();
      records.push(frameRecord(eventBytes(firstMs / 1000, step, (w) => w.bytes(EVENT_SUMMARY, summary))));
    }
    for (const p of points) {
      const [accuracy, crossEntropy] = pick(p);
      const summary = new ProtoWriter();
      if (Number.isFinite(accuracy)) summary.bytes(SUMMARY_VALUE, scalarValue(TENSORBOARD_TAGS.accuracy, accuracy));
      if (Number.isFinite(crossEntropy)) summary.bytes(SUMMARY_VALUE, scalarValue(TENSORBOARD_TAGS.crossEntropy, crossEntropy));
      const summaryBytes = summary.finish();
      if (summaryBytes.length === 0) continue;
      records.push(frameRecord(eventBytes(p.wallTimeMs / 1000, p.step, (w) => w.bytes(EVENT_SUMMARY, summaryBytes))));
    }

    const folder = path.join(dir, split);
    await mkdir(folder, { recursive: true });
    for (const old of await readdir(folder)) {
      if (old.startsWith(EVENT_FILE_PREFIX) && old !== fileName) await rm(path.join(folder, old), { force: true });
    }
    const file = path.join(folder, fileName);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.concat(records));
    await rename(tmp, file);
    result[split] = file;
  }
  return result;
}

/**
 * Reads every `simple_value` scalar of a TensorBoard event file (ours or TensorFlow's),
 * in file order. Both CRCs of every record are verified. Text and tensor summaries are
 * skipped.
 * @throws CoreError('NOT_FOUND') when the file does not exist; CoreError('INVALID_ARGUMENT')
 *   when a record is truncated, fails its CRC, or is not a valid Event.
 */
export async function readTensorBoardScalars(file: string): Promise<TensorBoardScalar[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CoreError('NOT_FOUND', `TensorBoard event file ${file} does not exist. Check the path.`, { file });
    }
    throw error;
  }
  const scalars: TensorBoardScalar[] = [];
  for (const [index, record] of parseRecords(bytes, file).entries()) {
    try {
      let wallTime = 0;
      let step = 0;
      const summaries: Buffer[] = [];
      for (const f of readFields(record)) {
        if (f.field === EVENT_WALL_TIME && f.fixed) wallTime = f.fixed.readDoubleLE(0);
        else if (f.field === EVENT_STEP && f.varint !== undefined) step = Number(BigInt.asIntN(64, f.varint));
        else if (f.field === EVENT_SUMMARY && f.bytes) summaries.push(f.bytes);
      }
      for (const summary of summaries) {
        for (const v of readFields(summary)) {
          if (v.field !== SUMMARY_VALUE || !v.bytes) continue;
          let tag = '';
          let value: number | undefined;
          for (const f of readFields(v.bytes)) {
            if (f.field === VALUE_TAG && f.bytes) tag = f.bytes.toString('utf8');
            else if (f.field === VALUE_SIMPLE_VALUE && f.fixed) value = f.fixed.readFloatLE(0);
          }
          if (value !== undefined) scalars.push({ tag, step, wallTime, value });
        }
      }
    } catch (error) {
      throw new CoreError('INVALID_ARGUMENT', `${file}: record ${index} is not a valid TensorBoard Event (${(error as Error).message}).`, { file, record: index });
    }
  }
  return scalars;
}
