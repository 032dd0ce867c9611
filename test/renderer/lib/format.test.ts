import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatPercent, humanizeKey, relativePath } from '../../../src-renderer/lib/format.js';
import { formatX, metricValue } from '../../../src-renderer/lib/metrics.js';

describe('format helpers', () => {
  it('formats sizes, percentages and durations people read', () => {
    expect(formatBytes(1_700_000)).toBe('1.7 MB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(null)).toBe('—');
    expect(formatPercent(0.8734)).toBe('87.3%');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_300)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });

  it('shows paths relative to the dataset root and names from keys', () => {
    expect(relativePath('/data/flowers/roses/a.jpg', '/data/flowers')).toBe('roses/a.jpg');
    expect(relativePath('/data/flowers2/a.jpg', '/data/flowers')).toBe('/data/flowers2/a.jpg');
    expect(humanizeKey('howManyTrainingSteps')).toBe('How many training steps');
  });

  it('reads metric values and formats x values per axis', () => {
    const point = { step: 20, wallTimeMs: 0, relativeTimeMs: 65_000, trainAccuracy: 0.9, trainCrossEntropy: 0.3, validationAccuracy: 0.8, validationCrossEntropy: 0.5 };
    expect(metricValue(point, 'accuracy', 'validation')).toBe(0.8);
    expect(metricValue(point, 'crossEntropy', 'train')).toBe(0.3);
    expect(formatX(20, 'step')).toBe('20');
    expect(formatX(65_000, 'relative')).toBe('1m 05s');
  });
});
