import { describe, expect, test } from "bun:test";
import { ARGON2_OPTIONS } from "../policy/authenticate.ts";
import { Argon2Workers, argon2Hasher } from "./argon2.ts";

// expect(promise).rejects waits without delivering Worker messages (Bun 1.4.5): the reply would only
// come with the verify timeout. Settle the promise first, then look at the error.
const failure = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "resolved",
    (e: unknown) => String(e),
  );

describe("argon2 workers", () => {
  test("verify: right and wrong password, bytes or text; a malformed hash rejects", async () => {
    const hash = await Bun.password.hash("s3cret", ARGON2_OPTIONS);
    expect(await argon2Hasher.verify("s3cret", hash)).toBe(true);
    expect(await argon2Hasher.verify(new TextEncoder().encode("s3cret"), hash)).toBe(true);
    expect(await argon2Hasher.verify("other", hash)).toBe(false);
    expect(await failure(argon2Hasher.verify("s3cret", "not-a-phc-string"))).toContain(
      "argon2 verify",
    );
    expect(argon2Hasher.concurrency).toBeGreaterThanOrEqual(1);
  });

  test("a wedged worker is terminated after the timeout; the next verify gets a new one", async () => {
    // Same messages as the real script; "hang" is never answered.
    const source = `self.onmessage = (e) => { if (e.data.password !== "hang") postMessage({ id: e.data.id, ok: e.data.password === "yes", error: null }); };`;
    const w = new Argon2Workers(1, { source, timeoutMs: 300 });
    const hung = w.verify("hang", "h");
    expect(await failure(hung)).toContain("timed out");
    expect(await w.verify("yes", "h")).toBe(true);
    w.stop();
  });

  test("stop fails the verifies in flight", async () => {
    const w = new Argon2Workers(1, { source: `self.onmessage = () => {};`, timeoutMs: 10_000 });
    const pending = w.verify("x", "h");
    w.stop();
    expect(await failure(pending)).toContain("stopped");
  });
});
