// crypto.getRandomValues replaced by a constant source for the length of one call: tests that must
// show two values stay distinct even when every random draw is the same (per-packet salts).
export async function withConstantRandom<T>(byte: number, fn: () => T | Promise<T>): Promise<T> {
  const real = crypto.getRandomValues;
  crypto.getRandomValues = <A extends ArrayBufferView | null>(a: A): A => {
    if (a !== null) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(byte);
    return a;
  };
  try {
    return await fn();
  } finally {
    crypto.getRandomValues = real;
  }
}
