/** Exhaustiveness check for discriminated unions: a compile error if a case is missing, a throw if reached. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
