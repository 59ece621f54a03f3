// Reads a device recipe (docs/devices/<platform>.md) the way an operator would paste it, so the
// document and its test cannot drift: the test runs exactly the commands the page shows.
//
// A recipe marks its aaa-proxy blocks with an info string after the language:
//   ```sh aaa-proxy        commands run in order (setup: groups, devices, user groups, users, rules)
//   ```sh policy-test      one `aaa-proxy policy test ...` command, followed directly by
//   ```text                the output the operator should see (each shown line must appear, in order)
// Lines are shell commands: `#` comments, `\` continuations, single and double quotes. No variable
// expansion or globbing is done, so a recipe must not rely on them (secrets come in through
// `--tacacs-secret-env NAME`, passwords through `--password-stdin`, which the test feeds).
import { readFileSync } from "node:fs";

export interface PolicyTest {
  argv: string[];
  expected: string[];
}

export interface Recipe {
  /** Each setup command's argv, without the leading `aaa-proxy`. */
  setup: string[][];
  policyTests: PolicyTest[];
}

interface Block {
  info: string;
  body: string;
}

function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of md.matchAll(re)) out.push({ info: m[1]!.trim(), body: m[2]! });
  return out;
}

/** POSIX-shell-like word splitting for one logical line: quotes, backslash escapes outside them. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated ' in: ${line}`);
      cur += line.slice(i + 1, j);
      inWord = true;
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === "\\" && '"\\$`'.includes(line[j + 1] ?? "")) j++;
        cur += line[j];
      }
      if (j >= line.length) throw new Error(`unterminated " in: ${line}`);
      if (/\$[A-Za-z_{]/.test(line.slice(i, j)))
        throw new Error(`recipe lines must not expand variables: ${line}`);
      inWord = true;
      i = j;
    } else if (c === "\\") {
      cur += line[i + 1] ?? "";
      inWord = true;
      i++;
    } else if (c === " " || c === "\t") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else if (c === "#" && !inWord) {
      break;
    } else {
      if (c === "$" || c === "*" || c === "?" || c === "|" || c === ";" || c === "&" || c === "<")
        throw new Error(`recipe lines must be plain commands (no "${c}"): ${line}`);
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function commands(body: string): string[][] {
  const logical = body.replace(/\\\n/g, " ").split("\n");
  const out: string[][] = [];
  for (const l of logical) {
    const w = shellWords(l);
    if (w.length === 0) continue;
    if (w[0] !== "aaa-proxy") throw new Error(`recipe command must start with aaa-proxy: ${l}`);
    out.push(w.slice(1));
  }
  return out;
}

export function readRecipe(path: string): Recipe {
  const bs = blocks(readFileSync(path, "utf8"));
  const setup: string[][] = [];
  const policyTests: PolicyTest[] = [];
  bs.forEach((b, i) => {
    if (b.info === "sh aaa-proxy") setup.push(...commands(b.body));
    if (b.info === "sh policy-test") {
      const cmds = commands(b.body);
      const next = bs[i + 1];
      if (cmds.length !== 1 || next?.info !== "text")
        throw new Error(
          `${path}: a policy-test block holds one command and is followed by a text block`,
        );
      const expected = next.body.split("\n").filter((l) => l.trim() !== "");
      policyTests.push({ argv: cmds[0]!, expected });
    }
  });
  return { setup, policyTests };
}

/** The values of every `--flag V` occurrence in argv. */
export function flagValues(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && i + 1 < argv.length) out.push(argv[i + 1]!);
    else if (argv[i]!.startsWith(flag + "=")) out.push(argv[i]!.slice(flag.length + 1));
  }
  return out;
}
