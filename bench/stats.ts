/** Small statistics for the bench's samples: medians and percentiles of milliseconds. */

/** The value at quantile `q` (0..1) of `samples`, nearest rank; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

/** Rounded for the JSON line: two decimals are all these noisy machines can tell apart. */
export const round2 = (value: number): number => Math.round(value * 100) / 100;
