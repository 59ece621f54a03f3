import { describe, expect, test } from "bun:test";
import { healthStep, newHealth, type HealthParams, type Transition } from "./health.ts";

const p: HealthParams = {
  zombiePeriod: 5000,
  reviveAfter: 3,
  downAfter: 2,
  reviveInterval: 60_000,
  statusCheck: true,
};

describe("up / zombie / down", () => {
  test("a timeout soon after an answer does not leave up; silence for zombie_period does", () => {
    const h = newHealth(0);
    healthStep(h, "alive", 1000, p);
    expect(healthStep(h, "timeout", 2000, p)).toBeUndefined();
    expect(healthStep(h, "timeout", 5999, p)).toBeUndefined();
    expect(healthStep(h, "timeout", 6000, p)).toEqual({
      from: "up",
      to: "zombie",
      reason: "timeouts",
    });
    expect(h.status).toBe("zombie");
  });
  test("zombie → down after down_after failures; down → up only after N answers in a row", () => {
    const h = newHealth(0);
    healthStep(h, "timeout", 6000, p);
    expect(healthStep(h, "timeout", 7000, p)).toBeUndefined();
    expect(healthStep(h, "timeout", 8000, p)?.to).toBe("down");
    expect(healthStep(h, "alive", 9000, p)).toBeUndefined();
    expect(healthStep(h, "alive", 9100, p)).toBeUndefined();
    healthStep(h, "timeout", 9200, p); // breaks the streak
    expect(h.status).toBe("down");
    expect(healthStep(h, "alive", 9300, p)).toBeUndefined();
    expect(healthStep(h, "alive", 9400, p)).toBeUndefined();
    expect(healthStep(h, "alive", 9500, p)).toEqual({
      from: "down",
      to: "up",
      reason: "answers",
    });
  });
  test("each transition is reported once, however many events follow (no flapping)", () => {
    const h = newHealth(0);
    const ts: Transition[] = [];
    let t = 0;
    for (let i = 0; i < 50; i++) {
      t += 500;
      const r = healthStep(h, i % 2 === 0 ? "timeout" : "tick", t, p);
      if (r) ts.push(r);
    }
    expect(ts.map((x) => x.to)).toEqual(["zombie", "down"]);
    // Alternating answers and timeouts never reach N in a row: stays down.
    for (let i = 0; i < 50; i++) {
      t += 100;
      const r = healthStep(h, i % 2 === 0 ? "alive" : "timeout", t, p);
      if (r) ts.push(r);
    }
    expect(ts.length).toBe(2);
    expect(h.status).toBe("down");
  });
  test("without status checks: never down, back up after revive_interval", () => {
    const q = { ...p, statusCheck: false };
    const h = newHealth(0);
    healthStep(h, "timeout", 5000, q);
    for (let i = 0; i < 10; i++) expect(healthStep(h, "timeout", 5100 + i, q)).toBeUndefined();
    expect(h.status).toBe("zombie");
    expect(healthStep(h, "tick", 64_999, q)).toBeUndefined();
    expect(healthStep(h, "tick", 65_000, q)).toEqual({
      from: "zombie",
      to: "up",
      reason: "revive-interval",
    });
  });
  test("a zombie answering real traffic N times is up again", () => {
    const h = newHealth(0);
    healthStep(h, "timeout", 5000, p);
    healthStep(h, "alive", 5100, p);
    healthStep(h, "alive", 5200, p);
    expect(healthStep(h, "alive", 5300, p)?.to).toBe("up");
  });
});
