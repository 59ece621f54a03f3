import { describe, expect, test } from "bun:test";
import { concat, utf8 } from "../lib/bytes.ts";
import { decodeProxyV2 } from "./decode.ts";
import { encodeProxyV2 } from "./encode.ts";
import { decideProxyTrust, type ProxyTrustConfig, type SourceCheck } from "./trust.ts";
import { PP2_SIGNATURE } from "./types.ts";

const lenient: ProxyTrustConfig = {
  enabled: true,
  validate_sources: true,
  reject_invalid: false,
  require: false,
};
const strict: ProxyTrustConfig = { ...lenient, reject_invalid: true };
const peer = { ip: "::ffff:10.9.9.9", port: 40001 };
const addresses = {
  source: { ip: "192.0.2.10", port: 51000 },
  destination: { ip: "10.0.0.1", port: 49 },
};
const PROXY4 = encodeProxyV2({ command: "PROXY", family: "TCP4", addresses });
const TACACS = Uint8Array.of(0xc1, 0x01, 0x01, 0x00);

function decide(
  config: ProxyTrustConfig,
  bytes: Uint8Array,
  peerIsProxy: SourceCheck = true,
  transport?: "stream" | "dgram",
) {
  return decideProxyTrust(config, {
    decoded: decodeProxyV2(bytes),
    peer,
    peerIsProxy,
    ...(transport ? { transport } : {}),
  });
}

describe("valid headers", () => {
  test("PROXY TCP4 from a registered proxy → proxied, socket peer normalised as the proxy", () => {
    expect(decide(lenient, concat([PROXY4, TACACS]))).toEqual({
      action: "proxied",
      discard: PROXY4.length,
      client: addresses.source,
      proxy: { ip: "10.9.9.9", port: 40001 },
      destination: addresses.destination,
    });
  });
  test("LOCAL (health check) → local with the header discarded", () => {
    const local = encodeProxyV2({ command: "LOCAL", family: "UNSPEC" });
    expect(decide(strict, local)).toEqual({ action: "local", discard: 16, why: "local-command" });
  });
  test("PROXY UNSPEC / UNIX → local; UDP family on a stream listener → local", () => {
    expect(decide(lenient, encodeProxyV2({ command: "PROXY", family: "UNSPEC" }))).toMatchObject({
      action: "local",
      why: "unspec-family",
    });
    expect(
      decide(lenient, encodeProxyV2({ command: "PROXY", family: "UNIX_STREAM" })),
    ).toMatchObject({ action: "local", discard: 232, why: "unix-family" });
    const udp = encodeProxyV2({ command: "PROXY", family: "UDP4", addresses });
    expect(decide(lenient, udp)).toMatchObject({ action: "local", why: "transport-mismatch" });
    expect(decide(lenient, udp, true, "dgram")).toMatchObject({
      action: "proxied",
      client: addresses.source,
    });
  });
  test("header bytes still arriving → need-more", () => {
    expect(decide(lenient, PROXY4.subarray(0, 20))).toEqual({ action: "need-more" });
  });
});

describe("sources", () => {
  test("a header from a non-registered peer is rejected, valid or not", () => {
    expect(decide(lenient, PROXY4, false)).toEqual({
      action: "reject",
      reason: "proxy_rejected_unknown",
    });
    expect(decide(lenient, utf8("PROXY TCP4 "), false)).toEqual({
      action: "reject",
      reason: "proxy_rejected_unknown",
    });
  });
  test("a store failure fails closed, whether reported or thrown", () => {
    expect(decide(lenient, PROXY4, "store-error")).toEqual({
      action: "reject",
      reason: "proxy_store_error",
    });
    const throwing = () => {
      throw new Error("database is locked");
    };
    expect(decide(lenient, PROXY4, throwing)).toEqual({
      action: "reject",
      reason: "proxy_store_error",
    });
  });
  test("the store is asked only when a header is present, and not at all without validate_sources", () => {
    let asked = 0;
    const check = () => {
      asked++;
      return false;
    };
    expect(decide(lenient, TACACS, check)).toEqual({ action: "direct", discard: 0 });
    expect(asked).toBe(0);
    expect(decide({ ...lenient, validate_sources: false }, PROXY4, check)).toMatchObject({
      action: "proxied",
    });
    expect(asked).toBe(0);
    expect(decide(lenient, PROXY4, check)).toMatchObject({ action: "reject" });
    expect(asked).toBe(1);
  });
});

describe("no header, require, disabled", () => {
  test("direct client → direct; with require → proxy_required", () => {
    expect(decide(lenient, TACACS, false)).toEqual({ action: "direct", discard: 0 });
    expect(decide({ ...lenient, require: true }, TACACS, true)).toEqual({
      action: "reject",
      reason: "proxy_required",
    });
  });
  test("disabled: never reads a header; require on a disabled listener rejects everything", () => {
    expect(decide({ ...lenient, enabled: false }, PROXY4, false)).toEqual({
      action: "direct",
      discard: 0,
    });
    expect(decide({ ...lenient, enabled: false, require: true }, TACACS)).toEqual({
      action: "reject",
      reason: "proxy_required",
    });
  });
});

describe("malformed headers", () => {
  const badCrc = encodeProxyV2({ command: "PROXY", family: "TCP4", addresses, crc32c: true });
  badCrc[20] = badCrc[20]! ^ 1;
  const tooLong = concat([PP2_SIGNATURE, Uint8Array.of(0x21, 0x11, 0x10, 0x00)]);
  const badFamily = concat([PP2_SIGNATURE, Uint8Array.of(0x21, 0x41, 0x00, 0x0c)]);

  test("strict mode rejects, carrying the decoder's code", () => {
    expect(decide(strict, badCrc)).toEqual({
      action: "reject",
      reason: "proxy_header_errors",
      code: "proxy/bad-crc32c",
    });
    expect(decide(strict, tooLong)).toEqual({
      action: "reject",
      reason: "proxy_header_errors",
      code: "proxy/too-long",
    });
  });
  test("lenient mode skips a header of known length and goes direct, counting the error", () => {
    expect(decide(lenient, concat([badCrc, TACACS]))).toEqual({
      action: "direct",
      discard: badCrc.length,
      counter: "proxy_header_errors",
      code: "proxy/bad-crc32c",
    });
    // The claimed 16 + 4096 bytes have not arrived; the caller skips them as they come.
    expect(decide(lenient, tooLong)).toMatchObject({ action: "direct", discard: 16 + 4096 });
  });
  test("lenient mode still rejects when the length cannot be trusted, or when a header is required", () => {
    expect(decide(lenient, badFamily)).toEqual({
      action: "reject",
      reason: "proxy_header_errors",
      code: "proxy/bad-family",
    });
    expect(decide(lenient, utf8("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))).toMatchObject({
      action: "reject",
      code: "proxy/v1-unsupported",
    });
    expect(decide({ ...lenient, require: true }, badCrc)).toMatchObject({
      action: "reject",
      reason: "proxy_header_errors",
    });
  });
});
