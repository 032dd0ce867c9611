import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../helpers/csv.js';
import { csvField, SCALAR_CSV_COLUMNS, scalarsToCsv, scalarsToJson, type RunScalars, type ScalarsJson } from '../../../src-main/core/runs/scalars.js';


const T0 = Date.UTC(2026, 1, 3, 10, 0, 0);
const runs: RunScalars[] = [
  {
    id: 'run-a',
    name: 'lr 0.01, "quick"',
    points: [
      { step: 0, wallTimeMs: T0, relativeTimeMs: 0, trainAccuracy: 0.25, trainCrossEntropy: 1.6, validationAccuracy: 0.2, validationCrossEntropy: 1.7 },
      { step: 10, wallTimeMs: T0 + 2500, relativeTimeMs: 2500, trainAccuracy: 0.75, trainCrossEntropy: 0.6, validationAccuracy: Number.NaN, validationCrossEntropy: 0.9 },
    ],
  },
  {
    id: 'run-b',
    name: '',
    points: [{ step: 5, wallTimeMs: T0 + 100, relativeTimeMs: 100, trainAccuracy: 1, trainCrossEntropy: 0.01, validationAccuracy: 0.9, validationCrossEntropy: 0.3 }],
  },
];

describe('csvField', () => {
  it('quotes only when needed and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });
});

describe('scalarsToCsv', () => {
  it('writes a header and one row per point that parse back to the values', () => {
    const csv = scalarsToCsv(runs);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual([...SCALAR_CSV_COLUMNS]);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual(['lr 0.01, "quick"', '0', String(T0 / 1000), '0', '0.25', '1.6', '0.2', '1.7']);
    expect(rows[2]).toEqual(['lr 0.01, "quick"', '10', String((T0 + 2500) / 1000), '2.5', '0.75', '0.6', '', '0.9']);
    // An unnamed run is labelled by its id.
    expect(rows[3][0]).toBe('run-b');
    expect(Number(rows[3][3])).toBeCloseTo(0.1, 10);
    expect(rows.every((r) => r.length === SCALAR_CSV_COLUMNS.length)).toBe(true);
  });

  it('is just the header for no runs', () => {
    expect(scalarsToCsv([])).toBe(`${SCALAR_CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('scalarsToJson', () => {
  it('keeps ids, names and values, with null for NaN', () => {
    const doc = JSON.parse(scalarsToJson(runs)) as ScalarsJson;
    expect(doc.format).toBe('retrain-studio-scalars');
    expect(doc.version).toBe(1);
    expect(doc.runs.map((r) => [r.id, r.name, r.points.length])).toEqual([['run-a', 'lr 0.01, "quick"', 2], ['run-b', '', 1]]);
    expect(doc.runs[0].points[1]).toEqual({ step: 10, wallTimeMs: T0 + 2500, relativeTimeMs: 2500, trainAccuracy: 0.75, trainCrossEntropy: 0.6, validationAccuracy: null, validationCrossEntropy: 0.9 });
  });
});
