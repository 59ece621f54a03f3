// A dictionary source as plain data: what dictionary-import.ts produces from FreeRADIUS files and
// dictionary-data.ts holds built in; dictionary.ts builds a Dictionary from sources. Its own file so
// the built-in data and the builder do not import each other.
import type { VendorFormat } from "./vsa.ts";

export interface VendorSpec {
  name: string;
  id: number;
  format?: VendorFormat;
  line?: number;
}
export interface AttrSpec {
  name: string;
  type: number;
  /** A DataType, or FreeRADIUS's fixed-size form "octets[N]". */
  dataType: string;
  /** Vendor name; absent for standard attributes. */
  vendor?: string | undefined;
  /** 1 = User-Password style, 2 = salted (Tunnel-Password, MPPE keys), 3 = Ascend-Send-Secret style. */
  encrypt?: 0 | 1 | 2 | 3;
  hasTag?: boolean;
  /** Values longer than 253 octets are split over consecutive attributes (EAP-Message). */
  concat?: boolean;
  line?: number;
}
export interface ValueSpec {
  attr: string;
  name: string;
  value: number;
  line?: number;
}
export interface DictionarySource {
  vendors: VendorSpec[];
  attributes: AttrSpec[];
  values: ValueSpec[];
  /** Attributes a source knows but does not define (FreeRADIUS-internal, TLVs): VALUEs for them are dropped. */
  ignoredAttributes?: string[];
}
