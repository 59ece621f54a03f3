// Whole packets: header checks, de-obfuscation and the body decoder chosen by type and sender.
//
//   const r = decodePacket(frame.header, frame.body, key, "client");   // a server reading a NAS
//   const wire = encodePacket({ type, seqNo, sessionId, minorVersion }, encodeBody(reply), key);
//
// Which body a packet holds follows from type, sender and seq_no (§4.1, §5): from the client, seq_no 1
// of an authentication session is START and later ones are CONTINUE; authorization and accounting
// are one REQUEST from the client and one RESPONSE / REPLY from the server.
//
// Keys (§4.5, §10.5.2): `key` is the secret shared with this peer as raw bytes; null or empty means
// none. encodePacket sets TAC_PLUS_UNENCRYPTED_FLAG exactly when there is no key. decodePacket reads
// a packet that carries the flag as plain text even when a key is configured; it reports the flag as
// `unencrypted` and the ENGINE MUST REFUSE such a packet when the peer has a key (RFC 8907 §4.5: no
// unobfuscated traffic in production) — that policy is not the codec's. A packet without the flag
// cannot be read without a key ("tacacs/no-key"). A wrong key shows as "tacacs/length-mismatch".
import { err, ok, type Result } from "../../lib/result.ts";
import {
  decodeAcctReply,
  decodeAcctRequest,
  encodeAcctReply,
  encodeAcctRequest,
  type AcctReply,
  type AcctRequest,
} from "./accounting.ts";
import {
  decodeAuthenContinue,
  decodeAuthenReply,
  decodeAuthenStart,
  encodeAuthenContinue,
  encodeAuthenReply,
  encodeAuthenStart,
  type AuthenContinue,
  type AuthenReply,
  type AuthenStart,
} from "./authentication.ts";
import {
  decodeAuthorRequest,
  decodeAuthorResponse,
  encodeAuthorRequest,
  encodeAuthorResponse,
  type AuthorRequest,
  type AuthorResponse,
} from "./authorization.ts";
import type { BodyError } from "./fields.ts";
import {
  encodeHeader,
  HEADER_LENGTH,
  HeaderFlag,
  MinorVersion,
  PacketType,
  TAC_PLUS_MAJOR_VER,
  type Header,
} from "./header.ts";
import { obfuscate } from "./obfuscation.ts";

export type { BodyError };
export type Sender = "client" | "server";

type P<K extends string, B> = {
  kind: K;
  header: Header;
  body: B;
  unencrypted: boolean;
};
export type ClientPacket =
  | P<"authen-start", AuthenStart>
  | P<"authen-continue", AuthenContinue>
  | P<"author-request", AuthorRequest>
  | P<"acct-request", AcctRequest>;
export type ServerPacket =
  | P<"authen-reply", AuthenReply>
  | P<"author-response", AuthorResponse>
  | P<"acct-reply", AcctReply>;

export type PacketError =
  | BodyError
  | "tacacs/bad-type"
  | "tacacs/bad-minor-version"
  | "tacacs/bad-seq-no"
  | "tacacs/bad-length"
  | "tacacs/no-key";

const hasKey = (key: Uint8Array | null): key is Uint8Array => key !== null && key.length > 0;

/** Checks the header against the body, restores the plain body and decodes it. Never throws. */
export function decodePacket(
  header: Header,
  body: Uint8Array,
  key: Uint8Array | null,
  sender: "client",
): Result<ClientPacket, PacketError>;
export function decodePacket(
  header: Header,
  body: Uint8Array,
  key: Uint8Array | null,
  sender: "server",
): Result<ServerPacket, PacketError>;
export function decodePacket(
  header: Header,
  body: Uint8Array,
  key: Uint8Array | null,
  sender: Sender,
): Result<ClientPacket | ServerPacket, PacketError> {
  if (
    header.type !== PacketType.AUTHEN &&
    header.type !== PacketType.AUTHOR &&
    header.type !== PacketType.ACCT
  ) {
    return err("tacacs/bad-type", `type ${header.type}`);
  }
  if (header.minorVersion !== MinorVersion.DEFAULT && header.minorVersion !== MinorVersion.ONE) {
    return err("tacacs/bad-minor-version", `minor version ${header.minorVersion}`);
  }
  // §4.1: the client sends odd sequence numbers starting at 1, the server even ones.
  if (header.seqNo === 0 || (header.seqNo & 1) !== (sender === "client" ? 1 : 0)) {
    return err("tacacs/bad-seq-no", `seq_no ${header.seqNo} from the ${sender}`);
  }
  if (header.length !== body.length)
    return err("tacacs/bad-length", `header says ${header.length}, body has ${body.length}`);
  const unencrypted = (header.flags & HeaderFlag.UNENCRYPTED) !== 0;
  if (!unencrypted && !hasKey(key)) return err("tacacs/no-key");
  const plain = unencrypted ? body : obfuscate(body, header, key!);
  const wrap = <K extends string, B>(
    kind: K,
    r: Result<B, BodyError>,
  ): Result<P<K, B>, BodyError> => (r.ok ? ok({ kind, header, body: r.value, unencrypted }) : r);
  if (sender === "client") {
    if (header.type === PacketType.AUTHEN) {
      return header.seqNo === 1
        ? wrap("authen-start", decodeAuthenStart(plain))
        : wrap("authen-continue", decodeAuthenContinue(plain));
    }
    if (header.type === PacketType.AUTHOR)
      return wrap("author-request", decodeAuthorRequest(plain));
    return wrap("acct-request", decodeAcctRequest(plain));
  }
  if (header.type === PacketType.AUTHEN) return wrap("authen-reply", decodeAuthenReply(plain));
  if (header.type === PacketType.AUTHOR)
    return wrap("author-response", decodeAuthorResponse(plain));
  return wrap("acct-reply", decodeAcctReply(plain));
}

type KindBody<U> = U extends { kind: infer K; body: infer B } ? { kind: K; body: B } : never;
/** A packet without its header: what an engine builds before it knows the wire fields. */
export type PacketBody = KindBody<ClientPacket | ServerPacket>;

/** Any packet's body, plain; the kind picks the encoder. Throws RangeError on oversize fields. */
export function encodeBody(p: PacketBody): Uint8Array {
  switch (p.kind) {
    case "authen-start":
      return encodeAuthenStart(p.body);
    case "authen-continue":
      return encodeAuthenContinue(p.body);
    case "author-request":
      return encodeAuthorRequest(p.body);
    case "acct-request":
      return encodeAcctRequest(p.body);
    case "authen-reply":
      return encodeAuthenReply(p.body);
    case "author-response":
      return encodeAuthorResponse(p.body);
    case "acct-reply":
      return encodeAcctReply(p.body);
  }
}

export interface PacketFields {
  type: number;
  seqNo: number;
  sessionId: number;
  /** Defaults to 0 (TAC_PLUS_MINOR_VER_DEFAULT); use expectedMinorVersion for authentication. */
  minorVersion?: number;
  /** SINGLE_CONNECT and any other bits; UNENCRYPTED is overwritten from the key. */
  flags?: number;
}

/** Header ‖ body on the wire: length filled in, UNENCRYPTED set iff there is no key, body obfuscated with the key. */
export function encodePacket(
  fields: PacketFields,
  plainBody: Uint8Array,
  key: Uint8Array | null,
): Uint8Array {
  const keyed = hasKey(key);
  const header: Header = {
    majorVersion: TAC_PLUS_MAJOR_VER,
    minorVersion: fields.minorVersion ?? MinorVersion.DEFAULT,
    type: fields.type,
    seqNo: fields.seqNo,
    flags:
      ((fields.flags ?? 0) & ~HeaderFlag.UNENCRYPTED & 0xff) | (keyed ? 0 : HeaderFlag.UNENCRYPTED),
    sessionId: fields.sessionId,
    length: plainBody.length,
  };
  const out = new Uint8Array(HEADER_LENGTH + plainBody.length);
  out.set(encodeHeader(header));
  out.set(keyed ? obfuscate(plainBody, header, key) : plainBody, HEADER_LENGTH);
  return out;
}
