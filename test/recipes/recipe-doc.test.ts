// The recipe reader: what an operator pastes into a shell is what the recipe test runs, so word
// splitting must agree with a POSIX shell on the forms the pages use, and anything the reader
// cannot reproduce (expansions, pipes) must be refused rather than run differently.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../support/tmp.ts";
import { flagValues, readRecipe, shellWords } from "./recipe-doc.ts";

const dir = tempDir("aaa-recipe-doc-");
afterAll(() => dir.remove());

const page = (name: string, md: string) => {
  const p = join(dir.path, name);
  writeFileSync(p, md);
  return p;
};

describe("shellWords", () => {
  test("quotes as a shell reads them", () => {
    expect(
      shellWords(`aaa-proxy usergroup add x --av 'shell:a="b c"' --d "e \\"f\\"" g\\ h`),
    ).toEqual([
      "aaa-proxy",
      "usergroup",
      "add",
      "x",
      "--av",
      'shell:a="b c"',
      "--d",
      'e "f"',
      "g h",
    ]);
    expect(shellWords(`--pattern '^(show|ping)( |$)'`)).toEqual(["--pattern", "^(show|ping)( |$)"]);
  });

  test("a # starting a word begins a comment; inside a word it does not", () => {
    expect(shellWords("aaa-proxy a b#c # comment")).toEqual(["aaa-proxy", "a", "b#c"]);
  });

  test("what a shell would expand or redirect is refused", () => {
    for (const l of ["a $HOME", 'a "$X"', "a *", "a | b", "a; b", "a < f", "a 'unterminated"])
      expect(() => shellWords(l)).toThrow();
  });
});

describe("readRecipe", () => {
  test("setup blocks in order, continuations joined; policy tests with their expected lines", () => {
    const r = readRecipe(
      page(
        "ok.md",
        [
          "```sh aaa-proxy",
          "# a comment",
          "aaa-proxy group add g \\",
          "  --description 'two words'",
          "```",
          "```sh",
          "not-run --at all",
          "```",
          "```sh aaa-proxy",
          "aaa-proxy user add u --password-stdin --group ug",
          "```",
          "```sh policy-test",
          "aaa-proxy policy test --user u --device-ip 192.0.2.1",
          "```",
          "",
          "```text",
          "user u on device d",
          "",
          "result: PERMIT",
          "```",
        ].join("\n"),
      ),
    );
    expect(r.setup).toEqual([
      ["group", "add", "g", "--description", "two words"],
      ["user", "add", "u", "--password-stdin", "--group", "ug"],
    ]);
    expect(r.policyTests).toEqual([
      {
        argv: ["policy", "test", "--user", "u", "--device-ip", "192.0.2.1"],
        expected: ["user u on device d", "result: PERMIT"],
      },
    ]);
    expect(flagValues(r.setup[1]!, "--group")).toEqual(["ug"]);
  });

  test("a command that is not aaa-proxy, or a policy test without its output, is an error", () => {
    expect(() => readRecipe(page("a.md", "```sh aaa-proxy\nrm -rf x\n```\n"))).toThrow(
      /must start with aaa-proxy/,
    );
    expect(() =>
      readRecipe(page("b.md", "```sh policy-test\naaa-proxy policy test --user u\n```\n")),
    ).toThrow(/followed by a text block/);
  });
});
