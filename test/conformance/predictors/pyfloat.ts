/** A number as Python prints a float (`1.0`, `0.7`), so outputs match the recordings. */
export function pyFloat(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
