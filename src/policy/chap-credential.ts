// Opt-in CHAP / MS-CHAP credentials. CHAP (RFC 1994) and MS-CHAP (RFC 2433, RFC 2759) prove knowledge
// of the password by hashing it with a challenge, so the server needs the cleartext (CHAP) or the NT
// hash (MS-CHAP) — a one-way argon2id hash cannot answer them. The trade-off, per user, opt-in only:
//   * CHAP secret: the cleartext, AES-256-GCM encrypted with a 32-byte key from the environment
//     variable named by policy.chap_key_env (64 hex chars). Database alone leaks nothing; database +
//     key leaks every opted-in cleartext. Works for CHAP, MS-CHAPv1 and MS-CHAPv2.
//   * NT hash: MD4(UTF-16LE(password)), stored without encryption. Unsalted and password-equivalent
//     for MS-CHAP (pass-the-hash); a leak allows offline cracking. MS-CHAP only. Use only if the key
//     cannot be managed.
// Without a configured key, opting in to a CHAP secret is refused (no silent cleartext).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ntPasswordHash } from "../radius/codec/mschap.ts";
import { utf8 } from "../lib/bytes.ts";
import { err, ok, type Result } from "../lib/result.ts";

const FORMAT = "v1";
const IV_LEN = 12; // GCM standard nonce (NIST SP 800-38D §8.2); random per encryption.
const TAG_LEN = 16;

/** Read the key from `env[name]`. Missing → "chap/no-key"; not 64 hex chars → "chap/bad-key". */
export function loadChapKey(
  env: Record<string, string | undefined>,
  name: string,
): Result<Uint8Array> {
  const v = env[name];
  if (v === undefined || v === "")
    return err("chap/no-key", `environment variable ${name} is not set`);
  if (!/^[0-9a-fA-F]{64}$/.test(v))
    return err("chap/bad-key", `${name} must be 64 hex characters (32 bytes)`);
  return ok(new Uint8Array(Buffer.from(v, "hex")));
}

/** The username is authenticated data: a ciphertext copied onto another user's row does not decrypt. */
export function encryptChapSecret(key: Uint8Array, username: string, secret: string): string {
  const iv = randomBytes(IV_LEN);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(utf8(username));
  const body = Buffer.concat([c.update(utf8(secret)), c.final()]);
  return `${FORMAT}:${Buffer.concat([iv, body, c.getAuthTag()]).toString("base64")}`;
}

export function decryptChapSecret(
  key: Uint8Array,
  username: string,
  enc: string,
): Result<Uint8Array> {
  if (!enc.startsWith(`${FORMAT}:`)) return err("chap/bad-format");
  const raw = Buffer.from(enc.slice(FORMAT.length + 1), "base64");
  if (raw.length < IV_LEN + TAG_LEN) return err("chap/bad-format");
  try {
    const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_LEN));
    d.setAAD(utf8(username));
    d.setAuthTag(raw.subarray(raw.length - TAG_LEN));
    const out = Buffer.concat([d.update(raw.subarray(IV_LEN, raw.length - TAG_LEN)), d.final()]);
    return ok(new Uint8Array(out));
  } catch {
    // Wrong key, tampered ciphertext or a row copied from another user.
    return err("chap/decrypt-failed");
  }
}

/** NtPasswordHash (RFC 2759 §8.3), from the one MS-CHAP implementation both protocols use. */
export function ntHashOf(password: string | Uint8Array): Uint8Array {
  return ntPasswordHash(
    typeof password === "string" ? password : new TextDecoder().decode(password),
  );
}
