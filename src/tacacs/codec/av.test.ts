import { describe, expect, test } from "bun:test";
import { commandLine, formatArg, parseArg } from "./av.ts";

describe("arguments (§6.1)", () => {
  test("the first '=' or '*' separates; the value may hold either", () => {
    expect(parseArg("service=shell")).toEqual({
      ok: true,
      value: { attr: "service", value: "shell", mandatory: true },
    });
    expect(parseArg("idletime*30")).toEqual({
      ok: true,
      value: { attr: "idletime", value: "30", mandatory: false },
    });
    expect(parseArg("cmd-arg=a*b=c")).toEqual({
      ok: true,
      value: { attr: "cmd-arg", value: "a*b=c", mandatory: true },
    });
    expect(parseArg("acl*x=y")).toEqual({
      ok: true,
      value: { attr: "acl", value: "x=y", mandatory: false },
    });
    expect(parseArg("cmd=")).toEqual({
      ok: true,
      value: { attr: "cmd", value: "", mandatory: true },
    });
  });

  test("refuses a missing separator or an empty name", () => {
    expect(parseArg("service")).toMatchObject({
      ok: false,
      code: "tacacs/bad-arg",
    });
    expect(parseArg("=x")).toMatchObject({ ok: false, code: "tacacs/bad-arg" });
    expect(parseArg("*x")).toMatchObject({ ok: false, code: "tacacs/bad-arg" });
    expect(parseArg("")).toMatchObject({ ok: false, code: "tacacs/bad-arg" });
  });

  test("formatArg round-trips through parseArg and refuses unreadable names", () => {
    for (const s of ["priv-lvl=15", "timeout*0", "cmd=", "x=a=b*c"]) {
      const p = parseArg(s);
      if (!p.ok) throw new Error(p.code);
      expect(formatArg(p.value)).toBe(s);
    }
    expect(() => formatArg({ attr: "a=b", value: "c", mandatory: true })).toThrow(RangeError);
    expect(() => formatArg({ attr: "", value: "c", mandatory: false })).toThrow(RangeError);
  });

  test("commandLine: cmd then every cmd-arg in order, without IOS's trailing <cr>", () => {
    const ios = [
      "service=shell",
      "cmd=show",
      "cmd-arg=running-config",
      "cmd-arg=interface",
      "cmd-arg=Gi0/1",
      "cmd-arg=<cr>",
    ];
    expect(commandLine(ios)).toBe("show running-config interface Gi0/1");
    expect(commandLine(["cmd-arg=x", "cmd=configure", "cmd-arg=terminal"])).toBe(
      "configure x terminal",
    );
    expect(commandLine(["service=shell", "cmd="])).toBe("");
    expect(commandLine(["service=shell"])).toBeNull();
    expect(commandLine(["cmd=ping", "garbage", "cmd-arg*10.0.0.1"])).toBe("ping 10.0.0.1");
  });
});
