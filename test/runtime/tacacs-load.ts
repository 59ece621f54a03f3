// A TACACS+ load child for the reload tests (not a test file): CONCURRENCY loops of connect →
// PAP → close against 127.0.0.1:PORT until stdin closes or MAX_MS pass, then one JSON line
// {ok, fail, reasons}. A separate process, as real devices are: the server's event loop being
// busy with a reload must not also stall the clients.
//   bun test/runtime/tacacs-load.ts PORT KEY USER PASSWORD CONCURRENCY MAX_MS
import { AuthenStatus } from "../../src/tacacs/codec/authentication.ts";
import { papOnce } from "../support/tacacs-client.ts";

const [port, key, user, password, concurrency, maxMs] = process.argv.slice(2);
let stop = false;
let ok = 0;
let fail = 0;
const reasons: Record<string, number> = {};
const failed = (why: string) => {
  fail++;
  reasons[why] = (reasons[why] ?? 0) + 1;
};
setTimeout(() => (stop = true), Number(maxMs)).unref();
process.stdin.on("end", () => (stop = true));
process.stdin.resume();

async function loop(): Promise<void> {
  while (!stop) {
    try {
      const status = await papOnce("127.0.0.1", Number(port), key!, user!, password!);
      if (status === AuthenStatus.PASS) ok++;
      else failed(`status-${status}`);
    } catch (e) {
      failed(e instanceof Error ? e.message.slice(0, 60) : String(e));
    }
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, loop));
process.stdout.write(JSON.stringify({ ok, fail, reasons }) + "\n");
process.exit(0);
