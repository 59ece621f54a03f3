// Built-in RADIUS dictionary, kept as data (names and numbers as in the RFCs and FreeRADIUS 3.2's
// dictionaries, which dictionary-import.test.ts compares against when freeradius-common is installed).
//
// API
//   BUILTIN_DICTIONARY: DictionarySource   feed to createDictionary() (dictionary.ts)
//
// Standard attributes: RFC 2865, 2866, 2867, 2868 (has_tag, Tunnel-Password encrypt=2), 2869 (EAP,
// Message-Authenticator), 3162 (IPv6), 5176 (Error-Cause). Vendors: Cisco 9, Microsoft 311,
// Juniper 2636, Aruba 14823, Fortinet 12356, Mikrotik 14988, PaloAlto 25461, Arista 30065; all format 1,1.
import type { AttrSpec, DictionarySource, ValueSpec } from "./dictionary.ts";

type Row = readonly [name: string, type: number, dataType: string, flags?: string];

const RFC: readonly Row[] = [
  ["User-Name", 1, "string"], ["User-Password", 2, "string", "encrypt=1"], ["CHAP-Password", 3, "octets"],
  ["NAS-IP-Address", 4, "ipaddr"], ["NAS-Port", 5, "integer"], ["Service-Type", 6, "integer"],
  ["Framed-Protocol", 7, "integer"], ["Framed-IP-Address", 8, "ipaddr"], ["Framed-IP-Netmask", 9, "ipaddr"],
  ["Framed-Routing", 10, "integer"], ["Filter-Id", 11, "string"], ["Framed-MTU", 12, "integer"],
  ["Framed-Compression", 13, "integer"], ["Login-IP-Host", 14, "ipaddr"], ["Login-Service", 15, "integer"],
  ["Login-TCP-Port", 16, "integer"], ["Reply-Message", 18, "string"], ["Callback-Number", 19, "string"],
  ["Callback-Id", 20, "string"], ["Framed-Route", 22, "string"], ["Framed-IPX-Network", 23, "ipaddr"],
  ["State", 24, "octets"], ["Class", 25, "octets"], ["Vendor-Specific", 26, "vsa"],
  ["Session-Timeout", 27, "integer"], ["Idle-Timeout", 28, "integer"], ["Termination-Action", 29, "integer"],
  ["Called-Station-Id", 30, "string"], ["Calling-Station-Id", 31, "string"], ["NAS-Identifier", 32, "string"],
  ["Proxy-State", 33, "octets"], ["Login-LAT-Service", 34, "string"], ["Login-LAT-Node", 35, "string"],
  ["Login-LAT-Group", 36, "octets"], ["Framed-AppleTalk-Link", 37, "integer"],
  ["Framed-AppleTalk-Network", 38, "integer"], ["Framed-AppleTalk-Zone", 39, "string"],
  // RFC 2866
  ["Acct-Status-Type", 40, "integer"], ["Acct-Delay-Time", 41, "integer"], ["Acct-Input-Octets", 42, "integer"],
  ["Acct-Output-Octets", 43, "integer"], ["Acct-Session-Id", 44, "string"], ["Acct-Authentic", 45, "integer"],
  ["Acct-Session-Time", 46, "integer"], ["Acct-Input-Packets", 47, "integer"], ["Acct-Output-Packets", 48, "integer"],
  ["Acct-Terminate-Cause", 49, "integer"], ["Acct-Multi-Session-Id", 50, "string"], ["Acct-Link-Count", 51, "integer"],
  // RFC 2869
  ["Acct-Input-Gigawords", 52, "integer"], ["Acct-Output-Gigawords", 53, "integer"], ["Event-Timestamp", 55, "date"],
  ["CHAP-Challenge", 60, "octets"], ["NAS-Port-Type", 61, "integer"], ["Port-Limit", 62, "integer"],
  ["Login-LAT-Port", 63, "string"],
  // RFC 2868 (tagged) and RFC 2867
  ["Tunnel-Type", 64, "integer", "has_tag"], ["Tunnel-Medium-Type", 65, "integer", "has_tag"],
  ["Tunnel-Client-Endpoint", 66, "string", "has_tag"], ["Tunnel-Server-Endpoint", 67, "string", "has_tag"],
  ["Acct-Tunnel-Connection", 68, "string"], ["Tunnel-Password", 69, "string", "has_tag,encrypt=2"],
  ["ARAP-Password", 70, "octets[16]"], ["ARAP-Features", 71, "octets[14]"], ["ARAP-Zone-Access", 72, "integer"],
  ["ARAP-Security", 73, "integer"], ["ARAP-Security-Data", 74, "string"], ["Password-Retry", 75, "integer"],
  ["Prompt", 76, "integer"], ["Connect-Info", 77, "string"], ["Configuration-Token", 78, "string"],
  ["EAP-Message", 79, "octets", "concat"], ["Message-Authenticator", 80, "octets"],
  ["Tunnel-Private-Group-Id", 81, "string", "has_tag"], ["Tunnel-Assignment-Id", 82, "string", "has_tag"],
  ["Tunnel-Preference", 83, "integer", "has_tag"], ["ARAP-Challenge-Response", 84, "octets[8]"],
  ["Acct-Interim-Interval", 85, "integer"], ["Acct-Tunnel-Packets-Lost", 86, "integer"], ["NAS-Port-Id", 87, "string"],
  ["Framed-Pool", 88, "string"], ["Tunnel-Client-Auth-Id", 90, "string", "has_tag"],
  ["Tunnel-Server-Auth-Id", 91, "string", "has_tag"],
  // RFC 3162
  ["NAS-IPv6-Address", 95, "ipv6addr"], ["Framed-Interface-Id", 96, "ifid"], ["Framed-IPv6-Prefix", 97, "ipv6prefix"],
  ["Login-IPv6-Host", 98, "ipv6addr"], ["Framed-IPv6-Route", 99, "string"], ["Framed-IPv6-Pool", 100, "string"],
  // RFC 5176
  ["Error-Cause", 101, "integer"],
];

const VENDORS: Record<string, { id: number; rows: readonly Row[] }> = {
  Cisco: { id: 9, rows: [["Cisco-AVPair", 1, "string"], ["Cisco-NAS-Port", 2, "string"], ["Cisco-Disconnect-Cause", 195, "integer"]] },
  Microsoft: {
    id: 311,
    rows: [
      ["MS-CHAP-Response", 1, "octets[50]"], ["MS-CHAP-Error", 2, "string"], ["MS-MPPE-Encryption-Policy", 7, "integer"],
      ["MS-MPPE-Encryption-Types", 8, "integer"], ["MS-CHAP-Domain", 10, "string"], ["MS-CHAP-Challenge", 11, "octets"],
      ["MS-CHAP-MPPE-Keys", 12, "octets[24]", "encrypt=1"], ["MS-MPPE-Send-Key", 16, "octets", "encrypt=2"],
      ["MS-MPPE-Recv-Key", 17, "octets", "encrypt=2"], ["MS-CHAP2-Response", 25, "octets[50]"],
      ["MS-CHAP2-Success", 26, "octets"], ["MS-Primary-DNS-Server", 28, "ipaddr"], ["MS-Secondary-DNS-Server", 29, "ipaddr"],
    ],
  },
  Juniper: {
    id: 2636,
    rows: [
      ["Juniper-Local-User-Name", 1, "string"], ["Juniper-Allow-Commands", 2, "string"], ["Juniper-Deny-Commands", 3, "string"],
      ["Juniper-Allow-Configuration", 4, "string"], ["Juniper-Deny-Configuration", 5, "string"],
    ],
  },
  Aruba: {
    id: 14823,
    rows: [["Aruba-User-Role", 1, "string"], ["Aruba-User-Vlan", 2, "integer"], ["Aruba-Priv-Admin-User", 3, "integer"], ["Aruba-Admin-Role", 4, "string"], ["Aruba-Essid-Name", 5, "string"]],
  },
  Fortinet: { id: 12356, rows: [["Fortinet-Group-Name", 1, "string"], ["Fortinet-Vdom-Name", 3, "string"], ["Fortinet-Access-Profile", 6, "string"]] },
  Mikrotik: { id: 14988, rows: [["Mikrotik-Group", 3, "string"], ["Mikrotik-Rate-Limit", 8, "string"]] },
  PaloAlto: { id: 25461, rows: [["PaloAlto-Admin-Role", 1, "string"], ["PaloAlto-Admin-Access-Domain", 2, "string"], ["PaloAlto-User-Group", 5, "string"]] },
  Arista: { id: 30065, rows: [["Arista-AVPair", 1, "string"], ["Arista-User-Priv-Level", 2, "integer"], ["Arista-User-Role", 3, "string"]] },
};

const VALUES: Record<string, Record<string, number>> = {
  "Service-Type": {
    "Login-User": 1, "Framed-User": 2, "Callback-Login-User": 3, "Callback-Framed-User": 4, "Outbound-User": 5,
    "Administrative-User": 6, "NAS-Prompt-User": 7, "Authenticate-Only": 8, "Callback-NAS-Prompt": 9, "Call-Check": 10,
    "Callback-Administrative": 11, "Authorize-Only": 17,
  },
  "Framed-Protocol": { PPP: 1, SLIP: 2, ARAP: 3, "Gandalf-SLML": 4, "Xylogics-IPX-SLIP": 5, "X.75-Synchronous": 6 },
  "Framed-Routing": { None: 0, Broadcast: 1, Listen: 2, "Broadcast-Listen": 3 },
  "Framed-Compression": { None: 0, "Van-Jacobson-TCP-IP": 1, "IPX-Header-Compression": 2, "Stac-LZS": 3 },
  "Login-Service": { Telnet: 0, Rlogin: 1, "TCP-Clear": 2, PortMaster: 3, LAT: 4, "X25-PAD": 5, "X25-T3POS": 6, "TCP-Clear-Quiet": 8 },
  "Termination-Action": { Default: 0, "RADIUS-Request": 1 },
  "Acct-Status-Type": { Start: 1, Stop: 2, Alive: 3, "Interim-Update": 3, "Accounting-On": 7, "Accounting-Off": 8, Failed: 15 },
  "Acct-Authentic": { RADIUS: 1, Local: 2, Remote: 3, Diameter: 4 },
  "Acct-Terminate-Cause": {
    "User-Request": 1, "Lost-Carrier": 2, "Lost-Service": 3, "Idle-Timeout": 4, "Session-Timeout": 5, "Admin-Reset": 6,
    "Admin-Reboot": 7, "Port-Error": 8, "NAS-Error": 9, "NAS-Request": 10, "NAS-Reboot": 11, "Port-Unneeded": 12,
    "Port-Preempted": 13, "Port-Suspended": 14, "Service-Unavailable": 15, Callback: 16, "User-Error": 17, "Host-Request": 18,
  },
  "NAS-Port-Type": {
    Async: 0, Sync: 1, ISDN: 2, "ISDN-V120": 3, "ISDN-V110": 4, Virtual: 5, PIAFS: 6, "HDLC-Clear-Channel": 7, "X.25": 8,
    "X.75": 9, "G.3-Fax": 10, SDSL: 11, "ADSL-CAP": 12, "ADSL-DMT": 13, IDSL: 14, Ethernet: 15, xDSL: 16, Cable: 17,
    "Wireless-Other": 18, "Wireless-802.11": 19,
  },
  "Tunnel-Type": { PPTP: 1, L2F: 2, L2TP: 3, ATMP: 4, VTP: 5, AH: 6, IP: 7, "MIN-IP": 8, ESP: 9, GRE: 10, DVS: 11, "IP-in-IP": 12, VLAN: 13 },
  "Tunnel-Medium-Type": { IP: 1, IPv4: 1, IPv6: 2, NSAP: 3, HDLC: 4, "BBN-1822": 5, "IEEE-802": 6, "E.163": 7, "E.164": 8 },
  Prompt: { "No-Echo": 0, Echo: 1 },
  "Error-Cause": {
    "Residual-Context-Removed": 201, "Invalid-EAP-Packet": 202, "Unsupported-Attribute": 401, "Missing-Attribute": 402,
    "NAS-Identification-Mismatch": 403, "Invalid-Request": 404, "Unsupported-Service": 405, "Unsupported-Extension": 406,
    "Invalid-Attribute-Value": 407, "Administratively-Prohibited": 501, "Proxy-Request-Not-Routable": 502,
    "Session-Context-Not-Found": 503, "Session-Context-Not-Removable": 504, "Proxy-Processing-Error": 505,
    "Resources-Unavailable": 506, "Request-Initiated": 507, "Multiple-Session-Selection-Unsupported": 508,
  },
  "MS-MPPE-Encryption-Policy": { "Encryption-Allowed": 1, "Encryption-Required": 2 },
  "MS-MPPE-Encryption-Types": { "RC4-40bit-Allowed": 1, "RC4-128bit-Allowed": 2, "RC4-40or128-bit-Allowed": 6 },
};

function toSpec(r: Row, vendor?: string): AttrSpec {
  const flags = r[3]?.split(",") ?? [];
  const enc = flags.find((f) => f.startsWith("encrypt="));
  return {
    name: r[0], type: r[1], dataType: r[2], vendor,
    encrypt: enc === undefined ? 0 : (Number(enc.slice(8)) as 1 | 2 | 3),
    hasTag: flags.includes("has_tag"), concat: flags.includes("concat"),
  };
}

export const BUILTIN_DICTIONARY: DictionarySource = {
  vendors: Object.entries(VENDORS).map(([name, v]) => ({ name, id: v.id })),
  attributes: [...RFC.map((r) => toSpec(r)), ...Object.entries(VENDORS).flatMap(([name, v]) => v.rows.map((r) => toSpec(r, name)))],
  values: Object.entries(VALUES).flatMap(([attr, m]) => Object.entries(m).map(([name, value]): ValueSpec => ({ attr, name, value }))),
};
