import { describe, expect, test } from "bun:test";
import { ManualClock } from "../lib/clock.ts";
import { VerifyGate, type VerifyGateConfig } from "./verify-gate.ts";

/** Tasks that finish when the test says so, in the order they started. */
function manualTasks() {
  const started: string[] = [];
  const finish: Array<() => void> = [];
  const task = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name);
      finish.push(() => resolve(name));
    });
  const next = async () => {
    finish.shift()!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, task, next };
}

const CONFIG: VerifyGateConfig = {
  concurrency: 1,
  maxQueue: 4,
  maxQueuePerClient: 2,
  maxWait: 1_000,
};

describe("verify gate", () => {
  test("runs up to concurrency, serves waiting clients round robin", async () => {
    const gate = new VerifyGate(CONFIG, new ManualClock());
    const t = manualTasks();
    const results = [
      gate.run("a", t.task("a1")),
      gate.run("a", t.task("a2")),
      gate.run("a", t.task("a3")),
      gate.run("b", t.task("b1")),
    ];
    expect(t.started).toEqual(["a1"]);
    expect(gate.counters.queued).toBe(3);
    await t.next();
    await t.next();
    await t.next();
    await t.next();
    // b1 asked after a2 and a3 but waited for one of a's turns only.
    expect(t.started).toEqual(["a1", "a2", "b1", "a3"]);
    expect((await Promise.all(results)).map((r) => (r.ok ? r.value : r.code))).toEqual([
      "a1",
      "a2",
      "a3",
      "b1",
    ]);
    expect(gate.counters).toMatchObject({ running: 0, queued: 0, clients: 0, admitted: 4 });
  });

  test("per-client bound: the client's next request is refused, others still wait", async () => {
    const gate = new VerifyGate(CONFIG, new ManualClock());
    const t = manualTasks();
    void gate.run("a", t.task("a1"));
    void gate.run("a", t.task("a2"));
    void gate.run("a", t.task("a3"));
    expect(await gate.run("a", t.task("a4"))).toEqual({ ok: false, code: "client-queue-full" });
    void gate.run("b", t.task("b1"));
    expect(gate.counters.queued).toBe(3);
    expect(gate.counters.refused["client-queue-full"]).toBe(1);
  });

  test("total bound: the longest queue gives up its newest to a client that waits less", async () => {
    const gate = new VerifyGate(
      { ...CONFIG, maxQueue: 3, maxQueuePerClient: 3 },
      new ManualClock(),
    );
    const t = manualTasks();
    void gate.run("a", t.task("a0"));
    const a = [1, 2, 3].map((i) => gate.run("a", t.task(`a${i}`)));
    const b = gate.run("b", t.task("b1"));
    expect(await a[2]).toEqual({ ok: false, code: "queue-full" });
    // Now a holds 2 and b 1: b's second is refused (no churn between near-equals).
    expect(await gate.run("b", t.task("b2"))).toEqual({ ok: false, code: "queue-full" });
    await t.next();
    await t.next();
    await t.next();
    expect(t.started).toEqual(["a0", "a1", "b1", "a2"]);
    expect(await b).toEqual({ ok: true, value: "b1" });
    expect(gate.counters.refused["queue-full"]).toBe(2);
  });

  test("a wait longer than maxWait is refused unstarted", async () => {
    const clock = new ManualClock();
    const gate = new VerifyGate(CONFIG, clock);
    const t = manualTasks();
    void gate.run("a", t.task("a1"));
    const late = gate.run("b", t.task("b1"));
    clock.advance(1_001);
    const fresh = gate.run("c", t.task("c1"));
    await t.next();
    expect(await late).toEqual({ ok: false, code: "wait-expired" });
    expect(t.started).toEqual(["a1", "c1"]);
    await t.next();
    expect(await fresh).toEqual({ ok: true, value: "c1" });
  });

  test("a failing task frees its slot and rejects its caller", async () => {
    const gate = new VerifyGate(CONFIG, new ManualClock());
    const t = manualTasks();
    const bad = gate.run("a", () => Promise.reject(new Error("boom")));
    const next = gate.run("a", t.task("a2"));
    await expect(bad).rejects.toThrow("boom");
    await Promise.resolve();
    expect(t.started).toEqual(["a2"]);
    await t.next();
    expect(await next).toEqual({ ok: true, value: "a2" });
  });
});
