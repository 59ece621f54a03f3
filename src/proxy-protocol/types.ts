// PROXY protocol version 2: wire constants and decoded shapes (HAProxy proxy-protocol.txt §2.2).
// Names follow the spec (PP2_TYPE_*, PP2_CLIENT_*); section numbers refer to that document.

/** §2.2: the 12-byte v2 signature "\r\n\r\n\0\r\nQUIT\n". It can never start a v1 line or HTTP. */
export const PP2_SIGNATURE = new Uint8Array([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/** §2.1: a v1 header starts with these six ASCII bytes. We do not speak v1 (see decode.ts). */
export const PP1_PREFIX = new Uint8Array([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]); // "PROXY "

/** §2.2: signature (12) + ver_cmd (1) + fam (1) + len (2). `len` counts the bytes after these 16. */
export const PP2_PREAMBLE_LEN = 16;

/**
 * Implementation cap on the whole header (preamble + len). The wire `len` is a u16 (up to 65535);
 * a real sender's block is 12/36/216 address bytes plus a few TLVs, so 2 KiB of payload is generous
 * (HAProxy itself is bounded by its buffer size). Anything larger is refused as soon as `len` is read,
 * before we buffer it. Configurable per call.
 */
export const PP2_DEFAULT_MAX_HEADER = PP2_PREAMBLE_LEN + 2048;
/** The largest header the wire format can express. */
export const PP2_ABSOLUTE_MAX_HEADER = PP2_PREAMBLE_LEN + 0xffff;

/** §2.2: high nibble of byte 13. "must always be sent as \x2 and the receiver must only accept this value". */
export const PP2_VERSION = 0x2;

/** §2.2: low nibble of byte 13. Other values: "Receivers must drop connections presenting unexpected values". */
export const PP2_COMMAND = { LOCAL: 0x0, PROXY: 0x1 } as const;
export type Pp2Command = keyof typeof PP2_COMMAND;

/**
 * §2.2: byte 14, address family (high nibble) and transport (low nibble). Only these seven values are
 * defined; "other values are unspecified and must not be emitted ... and must be rejected as invalid".
 */
export const PP2_FAMILY = {
  UNSPEC: 0x00,
  TCP4: 0x11,
  UDP4: 0x12,
  TCP6: 0x21,
  UDP6: 0x22,
  UNIX_STREAM: 0x31,
  UNIX_DGRAM: 0x32,
} as const;
export type Pp2Family = keyof typeof PP2_FAMILY;

/** §2.2: bytes of address block per family: 2×4+2×2, 2×16+2×2, 2×108. UNSPEC carries none. */
export const PP2_ADDRESS_LEN: Record<Pp2Family, number> = {
  UNSPEC: 0,
  TCP4: 12,
  UDP4: 12,
  TCP6: 36,
  UDP6: 36,
  UNIX_STREAM: 216,
  UNIX_DGRAM: 216,
};

/** §2.2.1–2.2.7: TLV types we understand. Everything else is kept raw and otherwise ignored. */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

/** §2.2.5: sub-TLVs inside PP2_TYPE_SSL. */
export const PP2_SUBTYPE_SSL = {
  VERSION: 0x21,
  CN: 0x22,
  CIPHER: 0x23,
  SIG_ALG: 0x24,
  KEY_ALG: 0x25,
} as const;

/** §2.2.5: bits of the SSL TLV `client` byte. */
export const PP2_CLIENT = { SSL: 0x01, CERT_CONN: 0x02, CERT_SESS: 0x04 } as const;

/** §2.2.5: "The unique ID ... is an opaque byte sequence of up to 128 bytes". */
export const PP2_UNIQUE_ID_MAX = 128;

export interface Tlv {
  type: number;
  value: Uint8Array;
}

export interface Endpoint {
  /** Canonical text (src/lib/ip.ts normalizeIp): IPv4-mapped IPv6 is reported as IPv4. */
  ip: string;
  port: number;
}

export interface SslInfo {
  /** PP2_CLIENT_* bit field. */
  client: number;
  /** 0 when the client presented a certificate that verified successfully. */
  verify: number;
  subTlvs: Tlv[];
  version?: string;
  cn?: string;
  cipher?: string;
  sigAlg?: string;
  keyAlg?: string;
}

export interface ProxyHeader {
  version: 2;
  command: Pp2Command;
  family: Pp2Family;
  /**
   * Source (the real client) and destination from the header. null for LOCAL (§2.2: the receiver
   * "must use the real connection endpoints") and for UNSPEC/UNIX families: use the socket's addresses.
   */
  addresses: { source: Endpoint; destination: Endpoint } | null;
  /** Every TLV in wire order, known or not (CRC32C and NOOP included); values view a private copy. */
  tlvs: Tlv[];
  /** True when a PP2_TYPE_CRC32C TLV was present and matched. */
  crc32cVerified: boolean;
  alpn?: Uint8Array;
  authority?: string;
  uniqueId?: Uint8Array;
  netns?: string;
  ssl?: SslInfo;
}

export type ProxyErrorCode =
  | "proxy/v1-unsupported"
  | "proxy/bad-version"
  | "proxy/bad-command"
  | "proxy/bad-family"
  | "proxy/too-long"
  | "proxy/short-address"
  | "proxy/bad-tlv"
  | "proxy/bad-crc32c";

export type DecodeResult =
  | { kind: "need-more" }
  | { kind: "not-proxy" }
  | { kind: "header"; header: ProxyHeader; consumed: number }
  | {
      kind: "error";
      code: ProxyErrorCode;
      detail?: string;
      /**
       * Only when the 16-byte preamble was valid (signature, version, command, family): the total
       * size the header claims (16 + len), so a lenient caller can skip exactly that many bytes.
       * May exceed the bytes received so far (e.g. "proxy/too-long").
       */
      headerLength?: number;
    };
