// The one store schema (Drizzle over bun:sqlite). drizzle-kit turns this file into drizzle/*.sql,
// which the binary embeds and applies at start-up (src/store/migrate.ts).
//
// Secrets (tacacs_secret, radius_secret) are stored as given because the protocols need the
// cleartext shared secret; they are write-only everywhere data is shown. User passwords are
// never stored in cleartext: argon2id hashes, plus an opt-in CHAP credential (see users.ts).
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const createdAt = () =>
  integer("created_at")
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const deviceGroups = sqliteTable("device_groups", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  /** TACACS+ key (RFC 8907 §4.5). Null: this group serves no TACACS+ client. */
  tacacsSecret: text("tacacs_secret"),
  /** RADIUS shared secret (RFC 2865 §3). Null: this group serves no RADIUS client. */
  radiusSecret: text("radius_secret"),
  /** Devices of this group are only matched through a proxy inside this CIDR (tenant isolation). */
  proxyNetwork: text("proxy_network"),
  /** RFC 3579 / BlastRADIUS: Access-Requests without Message-Authenticator are dropped. */
  requireMessageAuthenticator: integer("require_message_authenticator", { mode: "boolean" })
    .notNull()
    .default(true),
  metadata: text("metadata").notNull().default("{}"),
  createdAt: createdAt(),
});

export const devices = sqliteTable(
  "devices",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull().unique(),
    /** Canonical CIDR text (host bits cleared), IPv4 or IPv6. */
    network: text("network").notNull(),
    groupId: integer("group_id")
      .notNull()
      .references(() => deviceGroups.id, { onDelete: "restrict" }),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    autoRegistered: integer("auto_registered", { mode: "boolean" }).notNull().default(false),
    metadata: text("metadata").notNull().default("{}"),
    createdAt: createdAt(),
  },
  (t) => [index("devices_group_idx").on(t.groupId)],
);

export const proxies = sqliteTable("proxies", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  network: text("network").notNull(),
  description: text("description").notNull().default(""),
  createdAt: createdAt(),
});

export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** RFC 8265 UsernameCasePreserved: stored NFC-normalised, compared exactly. */
  username: text("username").notNull().unique(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /** argon2id PHC string from Bun.password.hash. */
  passwordHash: text("password_hash").notNull(),
  /** Separate TACACS+ enable secret (argon2id), or null: enable uses the login password. */
  enableHash: text("enable_hash"),
  /** Opt-in CHAP/MS-CHAP credential: AES-256-GCM ciphertext of the cleartext (key from config/env). */
  chapSecretEnc: text("chap_secret_enc"),
  /** Opt-in MS-CHAP-only credential: hex MD4 NT hash. */
  ntHash: text("nt_hash"),
  /** Epoch milliseconds after which the account is expired; null: never. */
  expiresAt: integer("expires_at"),
  /** Bumped on every credential or status change; the credential cache keys on it. */
  credentialVersion: integer("credential_version").notNull().default(1),
  createdAt: createdAt(),
});

export const userGroups = sqliteTable("user_groups", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  /** TACACS+ privilege level 0..15 granted on shell start. */
  privLvl: integer("priv_lvl").notNull().default(1),
  /** JSON object: service name → list of "attr=value" / "attr*value" returned on authorization. */
  tacacsAv: text("tacacs_av").notNull().default("{}"),
  /** JSON list of {"name": dictionary attribute name, "value": text} returned in Access-Accept. */
  radiusReply: text("radius_reply").notNull().default("[]"),
  createdAt: createdAt(),
});

export const userGroupMembers = sqliteTable(
  "user_group_members",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    userGroupId: integer("user_group_id")
      .notNull()
      .references(() => userGroups.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.userGroupId] })],
);

/** Device groups a user group may log in to (none listed: none allowed). */
export const userGroupDeviceGroups = sqliteTable(
  "user_group_device_groups",
  {
    userGroupId: integer("user_group_id")
      .notNull()
      .references(() => userGroups.id, { onDelete: "cascade" }),
    deviceGroupId: integer("device_group_id")
      .notNull()
      .references(() => deviceGroups.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.userGroupId, t.deviceGroupId] })],
);

/** Ordered command authorization rules; first match wins. */
export const commandRules = sqliteTable("command_rules", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  /** Evaluation order, ascending. */
  position: integer("position").notNull(),
  action: text("action", { enum: ["permit", "deny"] }).notNull(),
  /** JavaScript regular expression matched against the full command line. */
  pattern: text("pattern").notNull(),
  minPriv: integer("min_priv"),
  maxPriv: integer("max_priv"),
  createdAt: createdAt(),
});

/** A rule with no rows here applies to every user group; with rows, only to those. */
export const commandRuleUserGroups = sqliteTable(
  "command_rule_user_groups",
  {
    ruleId: integer("rule_id")
      .notNull()
      .references(() => commandRules.id, { onDelete: "cascade" }),
    userGroupId: integer("user_group_id")
      .notNull()
      .references(() => userGroups.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.userGroupId] })],
);

/** A rule with no rows here applies on every device group; with rows, only on those. */
export const commandRuleDeviceGroups = sqliteTable(
  "command_rule_device_groups",
  {
    ruleId: integer("rule_id")
      .notNull()
      .references(() => commandRules.id, { onDelete: "cascade" }),
    deviceGroupId: integer("device_group_id")
      .notNull()
      .references(() => deviceGroups.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.deviceGroupId] })],
);

/** TACACS+ and RADIUS accounting records. */
export const accounting = sqliteTable(
  "accounting",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    protocol: text("protocol", { enum: ["tacacs", "radius"] }).notNull(),
    /** Epoch milliseconds when received. */
    time: integer("time").notNull(),
    /** The resolved client address (after PROXY v2), never a field the client wrote. */
    clientIp: text("client_ip").notNull(),
    device: text("device"),
    deviceGroup: text("device_group"),
    username: text("username").notNull().default(""),
    sessionId: text("session_id").notNull().default(""),
    recordType: text("record_type", {
      enum: ["start", "stop", "update", "watchdog", "on", "off", "other"],
    }).notNull(),
    attributes: text("attributes").notNull().default("{}"),
  },
  (t) => [
    index("accounting_time_idx").on(t.time),
    index("accounting_user_idx").on(t.username, t.time),
  ],
);

/** Who changed what, when (admin CLI and API); never holds secrets. */
export const audit = sqliteTable("audit", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  time: integer("time").notNull(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  object: text("object").notNull(),
  detail: text("detail").notNull().default("{}"),
});
