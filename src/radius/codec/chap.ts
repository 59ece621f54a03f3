// CHAP over RADIUS (RFC 1994 §4.1, RFC 2865 §2.2, §5.3, §5.40).
//
// API
//   chapResponse(id, password, challenge)           MD5(CHAP Ident ‖ password ‖ challenge), 16 octets
//   chapChallengeOf(packet)                         CHAP-Challenge if present, else the Request Authenticator
//   verifyChapPassword(chapPassword, password, challenge) → Result<boolean>  (constant-time compare)
//
// Wire trap: CHAP-Password is 1 octet CHAP Ident + 16 octets response (Length 19); a NAS that sends no
// CHAP-Challenge used the 16-octet Request Authenticator as the challenge (§2.2). CHAP needs the
// cleartext password on our side: there is nothing to verify against a hash.
import { timingSafeEqual } from "../../lib/bytes.ts";
import { Md5 } from "../../lib/md5.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { AttrType, getAttr, type Attribute } from "./packet.ts";

export const CHAP_PASSWORD_LENGTH = 17;

export function chapResponse(id: number, password: Uint8Array, challenge: Uint8Array): Uint8Array {
  return new Md5()
    .update(new Uint8Array([id & 0xff]))
    .update(password)
    .update(challenge)
    .digest();
}

export function chapChallengeOf(p: {
  authenticator: Uint8Array;
  attributes: readonly Attribute[];
}): Uint8Array {
  return getAttr(p, AttrType.CHAPChallenge) ?? p.authenticator;
}

export function verifyChapPassword(
  chapPassword: Uint8Array,
  password: Uint8Array,
  challenge: Uint8Array,
): Result<boolean, "radius/bad-chap-password"> {
  if (chapPassword.length !== CHAP_PASSWORD_LENGTH) {
    return err("radius/bad-chap-password", `CHAP-Password ${chapPassword.length} octets, want 17`);
  }
  if (challenge.length === 0) return err("radius/bad-chap-password", "empty challenge");
  const want = chapResponse(chapPassword[0]!, password, challenge);
  return ok(timingSafeEqual(want, chapPassword.subarray(1)));
}
