import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../../../test/support/prng.ts";
import {
  createRealmRouter,
  splitRealm,
  suffixMatches,
  userOctets,
  type RealmRule,
} from "./realm.ts";

describe("splitRealm", () => {
  test("user@realm splits at the last @", () => {
    expect(splitRealm("alice@example.com")).toEqual({
      user: "alice",
      realm: "example.com",
      form: "suffix",
    });
    expect(splitRealm("a@b.org@example.com")).toEqual({
      user: "a@b.org",
      realm: "example.com",
      form: "suffix",
    });
  });
  test("REALM\\user splits at the first backslash", () => {
    expect(splitRealm("CORP\\bob")).toEqual({
      user: "bob",
      realm: "CORP",
      form: "prefix",
    });
    expect(splitRealm("CORP\\b\\c")).toEqual({
      user: "b\\c",
      realm: "CORP",
      form: "prefix",
    });
  });
  test("no realm: plain names and empty parts", () => {
    for (const n of ["alice", "", "@example.com", "alice@", "\\bob", "CORP\\", "@"])
      expect(splitRealm(n)).toBeUndefined();
  });
});

describe("suffix matching is on label boundaries", () => {
  test("equal or a subdomain matches, a longer label does not", () => {
    expect(suffixMatches("example.com", "example.com")).toBe(true);
    expect(suffixMatches("eu.example.com", "example.com")).toBe(true);
    expect(suffixMatches("A.B.Example.COM", "example.com")).toBe(true);
    expect(suffixMatches("evilexample.com", "example.com")).toBe(false);
    expect(suffixMatches("example.com.evil", "example.com")).toBe(false);
    expect(suffixMatches("com", "example.com")).toBe(false);
  });
});

const rules: RealmRule[] = [
  {
    name: "regex-any-org",
    match: "regex",
    pattern: "\\.org$",
    pool: "orgs",
    strip: true,
  },
  {
    name: "example",
    match: "suffix",
    pattern: "example.com",
    pool: "p1",
    strip: true,
  },
  {
    name: "eu-example",
    match: "suffix",
    pattern: "eu.example.com",
    pool: "p2",
    acct_pool: "p2-acct",
    strip: false,
  },
  {
    name: "exact-host",
    match: "exact",
    pattern: "vpn.eu.example.com",
    pool: "local",
    strip: true,
  },
  { name: "CORP", match: "exact", pool: "reject", strip: true },
  {
    name: "fallback",
    match: "exact",
    pattern: "never.invalid",
    pool: "p3",
    strip: true,
  },
];

test("userOctets splits the octets where splitRealm splits the text (random names with @ and \\)", () => {
  const rand = mulberry32(7);
  const alphabet = ["a", "b", "é", "日", "@", "\\", ".", "x"];
  for (let i = 0; i < 5_000; i++) {
    const name = Array.from(
      { length: 1 + Math.floor(rand() * 8) },
      () => alphabet[Math.floor(rand() * alphabet.length)],
    ).join("");
    const octets = userOctets(new TextEncoder().encode(name));
    const want = splitRealm(name)?.user;
    expect(octets === undefined ? undefined : new TextDecoder().decode(octets)).toBe(want);
  }
});

describe("router", () => {
  const r = createRealmRouter(rules);
  test("exact beats suffix, the longest suffix beats a shorter one, regex comes last", () => {
    expect(r.route("u@vpn.eu.example.com")).toEqual({
      realm: "exact-host",
      action: { auth: { kind: "local" }, acct: { kind: "local" } },
      userName: "u",
    });
    expect(r.route("u@x.eu.example.com")).toEqual({
      realm: "eu-example",
      action: { auth: { kind: "pool", pool: "p2" }, acct: { kind: "pool", pool: "p2-acct" } },
    });
    expect(r.route("u@example.com")).toEqual({
      realm: "example",
      action: { auth: { kind: "pool", pool: "p1" }, acct: { kind: "pool", pool: "p1" } },
      userName: "u",
    });
    expect(r.route("u@foo.ORG")).toEqual({
      realm: "regex-any-org",
      action: { auth: { kind: "pool", pool: "orgs" }, acct: { kind: "pool", pool: "orgs" } },
      userName: "u",
    });
  });
  test("pool and acct_pool may each be a reserved name: logins here, accounting proxied, or the reverse", () => {
    const mixed = createRealmRouter([
      { name: "a", match: "exact", pool: "local", acct_pool: "acct-p", strip: false },
      { name: "b", match: "exact", pool: "auth-p", acct_pool: "local", strip: false },
      { name: "c", match: "exact", pool: "auth-p", acct_pool: "reject", strip: false },
    ]);
    expect(mixed.route("u@a").action).toEqual({
      auth: { kind: "local" },
      acct: { kind: "pool", pool: "acct-p" },
    });
    expect(mixed.route("u@b").action).toEqual({
      auth: { kind: "pool", pool: "auth-p" },
      acct: { kind: "local" },
    });
    expect(mixed.route("u@c").action).toEqual({
      auth: { kind: "pool", pool: "auth-p" },
      acct: { kind: "reject" },
    });
  });
  test("evilexample.com does not reach the example.com pool", () => {
    expect(r.route("u@evilexample.com")).toEqual({
      realm: "",
      action: { auth: { kind: "local" }, acct: { kind: "local" } },
    });
  });
  test("prefix form, case-insensitive exact match, reject action", () => {
    expect(r.route("corp\\bob")).toEqual({
      realm: "CORP",
      action: { auth: { kind: "reject" }, acct: { kind: "reject" } },
      userName: "bob",
    });
  });
  test("no realm and no default: local, name unchanged", () => {
    expect(r.route("alice")).toEqual({
      realm: "",
      action: { auth: { kind: "local" }, acct: { kind: "local" } },
    });
    expect(r.route(undefined)).toEqual({
      realm: "",
      action: { auth: { kind: "local" }, acct: { kind: "local" } },
    });
  });
  test("default realm takes unmatched and realm-less names, without stripping", () => {
    const d = createRealmRouter(rules, "fallback");
    expect(d.route("alice")).toEqual({
      realm: "fallback",
      action: { auth: { kind: "pool", pool: "p3" }, acct: { kind: "pool", pool: "p3" } },
    });
    expect(d.route("u@evilexample.com")).toEqual({
      realm: "fallback",
      action: { auth: { kind: "pool", pool: "p3" }, acct: { kind: "pool", pool: "p3" } },
    });
    expect(() => createRealmRouter(rules, "missing")).toThrow();
  });
});
