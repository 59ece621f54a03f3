import { describe, expect, test } from "bun:test";
import { hex } from "../lib/bytes.ts";
import { decryptChapSecret, encryptChapSecret, loadChapKey, ntHashOf } from "./chap-credential.ts";

const KEY = new Uint8Array(32).fill(7);

describe("chap credential", () => {
  test("NT hash matches RFC 2759 §9.2 (password clientPass)", () => {
    expect(hex(ntHashOf("clientPass"))).toBe("44ebba8d5312b8d611474411f56989ae");
  });

  test("encrypt/decrypt round trip, random nonce each time", () => {
    const a = encryptChapSecret(KEY, "alice", "s3cret");
    const b = encryptChapSecret(KEY, "alice", "s3cret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("s3cret");
    const d = decryptChapSecret(KEY, "alice", a);
    expect(d.ok && new TextDecoder().decode(d.value)).toBe("s3cret");
  });

  test("wrong key, other user, tampering all fail", () => {
    const enc = encryptChapSecret(KEY, "alice", "s3cret");
    expect(decryptChapSecret(new Uint8Array(32).fill(8), "alice", enc)).toMatchObject({
      ok: false,
      code: "chap/decrypt-failed",
    });
    expect(decryptChapSecret(KEY, "bob", enc)).toMatchObject({
      ok: false,
      code: "chap/decrypt-failed",
    });
    const raw = Buffer.from(enc.slice(3), "base64");
    raw[14]! ^= 1;
    expect(decryptChapSecret(KEY, "alice", `v1:${raw.toString("base64")}`).ok).toBe(false);
    expect(decryptChapSecret(KEY, "alice", "v1:AAAA")).toMatchObject({
      ok: false,
      code: "chap/bad-format",
    });
  });

  test("key loading", () => {
    expect(loadChapKey({}, "K")).toMatchObject({
      ok: false,
      code: "chap/no-key",
    });
    expect(loadChapKey({ K: "abc" }, "K")).toMatchObject({
      ok: false,
      code: "chap/bad-key",
    });
    const r = loadChapKey({ K: "ab".repeat(32) }, "K");
    expect(r.ok && r.value.length).toBe(32);
  });
});
