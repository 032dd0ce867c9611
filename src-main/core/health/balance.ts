/** Class balance: counts per class and split, with warnings when training may suffer. */
import type { BalanceReport, ClassBalance, HealthImage } from './types.js';

/** Largest class over smallest at or above which the balance is called large. */
export const IMBALANCE_RATIO = 3;
export const BALANCE_RULE = `warn when the largest class has ≥ ${IMBALANCE_RATIO}× the images of the smallest, or a class has none in a split others use`;

export function classBalance(images: HealthImage[], classes: string[]): BalanceReport {
  const rows: ClassBalance[] = classes.map((name) => ({ name, total: 0, train: 0, validation: 0, test: 0 }));
  for (const image of images) {
    rows[image.label].total++;
    rows[image.label][image.split]++;
  }
  const totals = rows.map((r) => r.total);
  const largest = Math.max(0, ...totals);
  const smallest = Math.min(...totals);
  const ratio = rows.length === 0 ? 1 : smallest === 0 ? Infinity : largest / smallest;
  const warnings: string[] = [];
  if (ratio >= IMBALANCE_RATIO) {
    const big = rows.find((r) => r.total === largest)!;
    const small = rows.find((r) => r.total === smallest)!;
    warnings.push(
      `Classes are imbalanced: ${big.name} has ${big.total} images, ${small.name} ${small.total} (${ratio === Infinity ? '∞' : ratio.toFixed(1)}×). The head will favour large classes: add photos to ${small.name}, or train with --class_balanced.`,
    );
  }
  for (const split of ['validation', 'test'] as const) {
    if (!rows.some((r) => r[split] > 0)) continue;
    const empty = rows.filter((r) => r.total > 0 && r[split] === 0).map((r) => r.name);
    if (empty.length) warnings.push(`No ${split} image in ${empty.join(', ')}: its ${split} accuracy is not measured. Add photos or raise the ${split} percentage.`);
  }
  return { classes: rows, ratio, warnings };
}
