// Policy reply attributes ({name, value} text from the user groups) → wire attributes, through the
// dictionary. Encoding the same "Session-Timeout=3600" for every Access-Accept would be wasted work,
// so plain attributes are encoded once and memoised; attributes hidden with the Request
// Authenticator (Tunnel-Password, encrypt=2) are encoded per request. Names the dictionary does not
// know, and values that do not parse, are skipped and reported once per text through `onBad`
// (an operator typo must not turn every Accept into a drop).
import { utf8 } from "../lib/bytes.ts";
import type { RadiusReplyAttribute } from "../policy/ports.ts";
import { attrByName, vendorById, type AttrDef, type Dictionary } from "./codec/dictionary.ts";
import { encodeValue } from "./codec/dictionary-values.ts";
import type { Attribute } from "./codec/packet.ts";
import { hideTunnelPassword, type PacketSalts } from "./codec/user-password.ts";
import { encodeVsa } from "./codec/vsa.ts";

/** Distinct attribute texts remembered; past this the memo starts over (configuration is small). */
const MAX_MEMO = 10_000;

type Memo = { attr: Attribute } | { hidden: AttrDef } | { bad: string };

export class ReplyAttributeMapper {
  private readonly memo = new Map<string, Memo>();

  constructor(
    private readonly dict: Dictionary,
    private readonly onBad: (attr: RadiusReplyAttribute, why: string) => void,
  ) {}

  /** Appends the wire form of `list` to `out`; hidden values take their salts from `salts`. */
  map(
    list: readonly RadiusReplyAttribute[],
    secret: Uint8Array,
    requestAuth: Uint8Array,
    out: Attribute[],
    salts: PacketSalts,
  ): void {
    for (const a of list) {
      const k = `${a.name}\u0000${a.value}`;
      let m = this.memo.get(k);
      if (m === undefined) {
        m = this.compile(a);
        if (this.memo.size >= MAX_MEMO) this.memo.clear();
        this.memo.set(k, m);
        if ("bad" in m) this.onBad(a, m.bad);
      }
      if ("attr" in m) out.push(m.attr);
      else if ("hidden" in m) {
        const h = hideTunnelPassword(utf8(a.value), secret, requestAuth, 0, salts.take());
        const w = h.ok ? this.wrap(m.hidden, h.value) : null;
        if (w !== null) out.push(w);
      }
    }
  }

  private compile(a: RadiusReplyAttribute): Memo {
    const def = attrByName(this.dict, a.name);
    if (def === undefined) return { bad: "unknown attribute name" };
    if (def.encrypt === 2 && def.vendorId === 0) return { hidden: def };
    if (def.encrypt !== 0)
      return {
        bad: `encrypt=${def.encrypt} attributes are not supported in replies`,
      };
    const v = encodeValue(def, a.value);
    if (!v.ok) return { bad: v.detail ?? v.code };
    const attr = this.wrap(def, v.value);
    return attr === null ? { bad: "value too long for one attribute" } : { attr };
  }

  private wrap(def: AttrDef, value: Uint8Array): Attribute | null {
    if (def.vendorId === 0) return value.length <= 253 ? { type: def.type, value } : null;
    const vendor = vendorById(this.dict, def.vendorId);
    const r = encodeVsa(def.vendorId, [{ vendorType: def.type, value }], vendor?.format);
    return r.ok ? r.value : null;
  }
}
