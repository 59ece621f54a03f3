// RADIUS packet framing (RFC 2865 §3, §5; RFC 2866 §3; RFC 5176 §3).
//
// API
//   decodePacket(datagram)            → Result<Packet>   header + attribute views (no copies)
//   encodePacket(input, opts?)        → Result<Uint8Array> exact-size packet; authenticator as given
//   getAttr(p, type) / getAll(p, type) first value / all values of a top-level attribute
//   Code, CodeValue, isKnownCode      packet codes (RFC 2865 §3, 2866 §4, 5176 §3, 5997)
//   AttrType                          the attribute numbers the codec itself needs
//   splitValue(type, value)           EAP-Message style chunking into ≤253-byte attributes
//
// Wire traps handled here:
// - Length (2 octets) is authoritative: bytes past it are padding and ignored (§3); a Length larger
//   than the datagram means a truncated packet and it is dropped, never "repaired".
// - Every attribute carries its own Length including the 2 header octets; 0 and 1 would loop forever
//   or under-read, so they are errors. The attributes must end exactly at Length.
// - The decoder accepts any code number; deciding that a code is unknown (silently discarded per §3)
//   is the engine's job, which also needs the identifier to log it.
import { err, ok, type Result } from "../../lib/result.ts";

export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectACK: 41,
  DisconnectNAK: 42,
  CoARequest: 43,
  CoAACK: 44,
  CoANAK: 45,
} as const;
export type CodeName = keyof typeof Code;
export type CodeValue = (typeof Code)[CodeName];

const KNOWN_CODES: ReadonlySet<number> = new Set(Object.values(Code));
export const isKnownCode = (c: number): c is CodeValue => KNOWN_CODES.has(c);

/** Attribute numbers the codec layer refers to (the full list lives in dictionary-data.ts). */
export const AttrType = {
  UserName: 1,
  UserPassword: 2,
  CHAPPassword: 3,
  NASIPAddress: 4,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  ProxyState: 33,
  CHAPChallenge: 60,
  TunnelPassword: 69,
  EAPMessage: 79,
  MessageAuthenticator: 80,
} as const;

/** RFC 2865 §3: "The minimum length is 20 and maximum length is 4096." */
export const MIN_PACKET_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
export const HEADER_LENGTH = 20;
export const AUTHENTICATOR_LENGTH = 16;
/** One attribute's Length octet counts its 2 header octets, so a value holds at most 253 octets. */
export const MAX_ATTR_VALUE_LENGTH = 253;

export interface Attribute {
  type: number;
  /** Decoded: a private copy of the octets (writing to it changes neither the datagram nor `raw`). */
  value: Uint8Array;
}

export interface Packet {
  code: number;
  identifier: number;
  /** Octets 4..20 (a copy). */
  authenticator: Uint8Array;
  attributes: Attribute[];
  /** Exactly Length octets (padding beyond Length removed): what authenticators hash. */
  raw: Uint8Array;
}

export type DecodeErrorCode =
  | "radius/too-short"
  | "radius/bad-length"
  | "radius/length-exceeds-datagram"
  | "radius/attr-too-short"
  | "radius/attr-overrun";

/**
 * A decoded attribute whose value is copied out on first use. Copies, not subarray() views: the
 * datagram Bun hands over is a small heap-allocated typed array, and the first view of it makes
 * the engine give it a real ArrayBuffer (~0.4 µs), every view after that ~70 ns; a slice of a few
 * octets costs ~30 ns. Lazy because the hot path reads two or three of a request's attributes.
 * Behaves as a plain { type, value } (value is assignable); `offset` is where the value starts in
 * the packet.
 */
export class WireAttribute implements Attribute {
  private copy: Uint8Array | undefined;
  constructor(
    readonly type: number,
    private readonly src: Uint8Array,
    readonly offset: number,
    private readonly len: number,
  ) {}
  get value(): Uint8Array {
    return (this.copy ??= this.src.slice(this.offset, this.offset + this.len));
  }
  set value(v: Uint8Array) {
    this.copy = v;
  }
  toJSON(): Attribute {
    return { type: this.type, value: this.value };
  }
}

export function decodePacket(datagram: Uint8Array): Result<Packet, DecodeErrorCode> {
  if (datagram.length < MIN_PACKET_LENGTH)
    return err("radius/too-short", `${datagram.length} octets`);
  const code = datagram[0]!;
  const identifier = datagram[1]!;
  const length = (datagram[2]! << 8) | datagram[3]!;
  if (length < MIN_PACKET_LENGTH || length > MAX_PACKET_LENGTH)
    return err("radius/bad-length", `Length ${length}`);
  if (length > datagram.length) {
    return err("radius/length-exceeds-datagram", `Length ${length} > datagram ${datagram.length}`);
  }
  // Most datagrams are exactly Length octets: used as they are then (see WireAttribute on views).
  const raw = length === datagram.length ? datagram : datagram.slice(0, length);
  const authenticator = raw.slice(4, HEADER_LENGTH);
  const attributes: Attribute[] = [];
  let o = HEADER_LENGTH;
  while (o < length) {
    const type = raw[o]!;
    if (o + 2 > length)
      return err("radius/attr-overrun", `attribute ${type} header cut at offset ${o}`);
    const alen = raw[o + 1]!;
    if (alen < 2)
      return err("radius/attr-too-short", `attribute ${type} Length ${alen} at offset ${o}`);
    if (o + alen > length)
      return err("radius/attr-overrun", `attribute ${type} Length ${alen} at offset ${o}`);
    attributes.push(new WireAttribute(type, raw, o + 2, alen - 2));
    o += alen;
  }
  return ok({ code, identifier, authenticator, attributes, raw });
}

export function getAttr(
  p: { attributes: readonly Attribute[] },
  type: number,
): Uint8Array | undefined {
  const a = p.attributes;
  for (let i = 0; i < a.length; i++) if (a[i]!.type === type) return a[i]!.value;
  return undefined;
}

export function getAll(p: { attributes: readonly Attribute[] }, type: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const a of p.attributes) if (a.type === type) out.push(a.value);
  return out;
}

export interface EncodeInput {
  code: number;
  identifier: number;
  /** 16 octets; for replies/accounting this is usually a placeholder signed afterwards. */
  authenticator?: Uint8Array;
  attributes: readonly Attribute[];
}

export interface EncodeOptions {
  /**
   * Insert an 18-octet Message-Authenticator (zeroed, sign it with message-authenticator.ts) as the
   * FIRST attribute. BlastRADIUS (CVE-2024-3596) mitigation: a forged prefix cannot precede it.
   * An existing Message-Authenticator in `attributes` is dropped so there is exactly one.
   */
  messageAuthenticatorFirst?: boolean;
}

export type EncodeErrorCode =
  "radius/attr-too-long" | "radius/packet-too-long" | "radius/bad-field";

const ZERO16 = new Uint8Array(16);

export function encodePacket(
  input: EncodeInput,
  opts?: EncodeOptions,
): Result<Uint8Array, EncodeErrorCode> {
  const { code, identifier, attributes } = input;
  if (!isOctet(code) || !isOctet(identifier))
    return err("radius/bad-field", `code ${code} identifier ${identifier}`);
  const auth = input.authenticator ?? ZERO16;
  if (auth.length !== AUTHENTICATOR_LENGTH)
    return err("radius/bad-field", `authenticator ${auth.length} octets`);
  const maFirst = opts?.messageAuthenticatorFirst === true;
  let length = HEADER_LENGTH + (maFirst ? 18 : 0);
  for (const a of attributes) {
    if (maFirst && a.type === AttrType.MessageAuthenticator) continue;
    if (!isOctet(a.type)) return err("radius/bad-field", `attribute type ${a.type}`);
    if (a.value.length > MAX_ATTR_VALUE_LENGTH) {
      return err(
        "radius/attr-too-long",
        `attribute ${a.type}: ${a.value.length} octets (split with splitValue)`,
      );
    }
    length += 2 + a.value.length;
  }
  if (length > MAX_PACKET_LENGTH) return err("radius/packet-too-long", `${length} octets`);
  const out = new Uint8Array(length);
  out[0] = code;
  out[1] = identifier;
  out[2] = length >>> 8;
  out[3] = length & 0xff;
  out.set(auth, 4);
  let o = HEADER_LENGTH;
  if (maFirst) {
    out[o] = AttrType.MessageAuthenticator;
    out[o + 1] = 18;
    o += 18; // value stays zero until signed
  }
  for (const a of attributes) {
    if (maFirst && a.type === AttrType.MessageAuthenticator) continue;
    out[o] = a.type;
    out[o + 1] = a.value.length + 2;
    out.set(a.value, o + 2);
    o += 2 + a.value.length;
  }
  return ok(out);
}

/**
 * Split a long value into consecutive attributes of ≤253 octets (RFC 3579 §3.1 for EAP-Message;
 * the same concatenation rule is used by FreeRADIUS for long Class/State-like octets only when the
 * receiver is known to concatenate). An empty value yields one empty attribute.
 */
export function splitValue(type: number, value: Uint8Array): Attribute[] {
  if (value.length === 0) return [{ type, value }];
  const out: Attribute[] = [];
  for (let i = 0; i < value.length; i += MAX_ATTR_VALUE_LENGTH) {
    out.push({ type, value: value.subarray(i, i + MAX_ATTR_VALUE_LENGTH) });
  }
  return out;
}

const isOctet = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;
