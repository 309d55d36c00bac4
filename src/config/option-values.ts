/** An integer option at or above `min`, or `fallback` when unset; throws naming the option otherwise. */
export function integerOption(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`option ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
