// Accounting-Request (RFC 2866) → the policy's AccountingRecord.
//
// Acct-Status-Type (§5.1): 1 Start, 2 Stop, 3 Interim-Update, 7 Accounting-On, 8 Accounting-Off;
// anything else (the tunnel and failed values of RFC 2867) is stored as "other" with the number in
// the attributes. The attributes are stored as dictionary names → text (numbers for integers
// without a VALUE name); several instances of one attribute become an array. Unknown attributes are
// kept as "Attr-<type>" / "Vendor-<id>-Attr-<type>" with 0x hex, as FreeRADIUS writes them.
// Message-Authenticator and Proxy-State are transport, not accounting data, and are not stored.
import { hex, readU32 } from "../lib/bytes.ts";
import type { AccountingRecord, AccountingRecordType } from "../policy/ports.ts";
import { attrByCode, vendorById, type Dictionary } from "./codec/dictionary.ts";
import { decodeValue } from "./codec/dictionary-values.ts";
import { AttrType, type Attribute } from "./codec/packet.ts";
import { decodeVsa } from "./codec/vsa.ts";

/** RFC 2866 §5.1 Acct-Status-Type. */
export const AcctStatusType = {
  Start: 1,
  Stop: 2,
  InterimUpdate: 3,
  AccountingOn: 7,
  AccountingOff: 8,
} as const;

const ACCT_STATUS_TYPE = 40;
const ACCT_SESSION_ID = 44;

const RECORD_TYPES: ReadonlyMap<number, AccountingRecordType> = new Map([
  [AcctStatusType.Start, "start"],
  [AcctStatusType.Stop, "stop"],
  [AcctStatusType.InterimUpdate, "update"],
  [AcctStatusType.AccountingOn, "on"],
  [AcctStatusType.AccountingOff, "off"],
]);

const SKIP: ReadonlySet<number> = new Set([AttrType.MessageAuthenticator, AttrType.ProxyState]);
const decoder = new TextDecoder("utf-8", { fatal: false });

function statusTypeOf(attrs: readonly Attribute[]): number | null {
  for (const a of attrs)
    if (a.type === ACCT_STATUS_TYPE && a.value.length === 4) return readU32(a.value, 0);
  return null;
}

function recordTypeOf(status: number | null): AccountingRecordType {
  return status === null ? "other" : (RECORD_TYPES.get(status) ?? "other");
}

function add(out: Record<string, unknown>, name: string, v: unknown): void {
  const prev = out[name];
  if (prev === undefined) out[name] = v;
  else if (Array.isArray(prev)) prev.push(v);
  else out[name] = [prev, v];
}

export function accountingAttributes(
  dict: Dictionary,
  attrs: readonly Attribute[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of attrs) {
    if (SKIP.has(a.type)) continue;
    if (a.type === AttrType.VendorSpecific && a.value.length >= 4) {
      const vendorId = readU32(a.value, 0);
      const subs = decodeVsa(a.value, vendorById(dict, vendorId)?.format);
      if (subs.ok) {
        for (const s of subs.value) {
          const def = attrByCode(dict, s.vendorId, s.vendorType);
          const v = def === undefined || def.encrypt !== 0 ? undefined : decodeValue(def, s.value);
          add(
            out,
            def?.name ?? `Vendor-${s.vendorId}-Attr-${s.vendorType}`,
            v?.ok ? v.value : `0x${hex(s.value)}`,
          );
        }
        continue;
      }
    }
    const def = attrByCode(dict, 0, a.type);
    if (def === undefined || def.dataType === "vsa") {
      add(out, `Attr-${a.type}`, `0x${hex(a.value)}`);
      continue;
    }
    // An Accounting-Request carries no hidden attributes; one that does is not decoded (no secret here).
    const v = def.encrypt !== 0 ? undefined : decodeValue(def, a.value);
    add(out, def.name, v?.ok ? v.value : `0x${hex(a.value)}`);
  }
  return out;
}

export function buildAccountingRecord(
  dict: Dictionary,
  attrs: readonly Attribute[],
  ctx: {
    time: number;
    clientIp: string;
    device: string;
    deviceGroup: string;
    userName: string | null;
  },
): AccountingRecord {
  const attributes = accountingAttributes(dict, attrs);
  // The columns come from the attributes just decoded (the dictionary's string decoding is the
  // same non-fatal UTF-8); only an attribute the dictionary did not decode as text is read again.
  return {
    protocol: "radius",
    time: ctx.time,
    clientIp: ctx.clientIp,
    device: ctx.device,
    deviceGroup: ctx.deviceGroup,
    username: ctx.userName ?? textOf(attributes["User-Name"], attrs, AttrType.UserName),
    sessionId: textOf(attributes["Acct-Session-Id"], attrs, ACCT_SESSION_ID),
    recordType: recordTypeOf(statusTypeOf(attrs)),
    attributes,
  };
}

/** The first instance's text: from its decoded value, else from the attribute's octets; "" if absent. */
function textOf(decoded: unknown, attrs: readonly Attribute[], type: number): string {
  const v = Array.isArray(decoded) ? (decoded[0] as unknown) : decoded;
  if (typeof v === "string" && !v.startsWith("0x")) return v;
  for (const a of attrs) if (a.type === type) return decoder.decode(a.value);
  return "";
}
