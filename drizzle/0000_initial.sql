CREATE TABLE `accounting` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`protocol` text NOT NULL,
	`time` integer NOT NULL,
	`client_ip` text NOT NULL,
	`device` text,
	`device_group` text,
	`username` text DEFAULT '' NOT NULL,
	`session_id` text DEFAULT '' NOT NULL,
	`record_type` text NOT NULL,
	`attributes` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `accounting_time_idx` ON `accounting` (`time`);--> statement-breakpoint
CREATE INDEX `accounting_user_idx` ON `accounting` (`username`,`time`);--> statement-breakpoint
CREATE TABLE `audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`object` text NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `command_rule_device_groups` (
	`rule_id` integer NOT NULL,
	`device_group_id` integer NOT NULL,
	PRIMARY KEY(`rule_id`, `device_group_id`),
	FOREIGN KEY (`rule_id`) REFERENCES `command_rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`device_group_id`) REFERENCES `device_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `command_rule_user_groups` (
	`rule_id` integer NOT NULL,
	`user_group_id` integer NOT NULL,
	PRIMARY KEY(`rule_id`, `user_group_id`),
	FOREIGN KEY (`rule_id`) REFERENCES `command_rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_group_id`) REFERENCES `user_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `command_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`position` integer NOT NULL,
	`action` text NOT NULL,
	`pattern` text NOT NULL,
	`min_priv` integer,
	`max_priv` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `command_rules_name_unique` ON `command_rules` (`name`);--> statement-breakpoint
CREATE TABLE `device_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tacacs_secret` text,
	`radius_secret` text,
	`proxy_network` text,
	`require_message_authenticator` integer DEFAULT true NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `device_groups_name_unique` ON `device_groups` (`name`);--> statement-breakpoint
CREATE TABLE `devices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`network` text NOT NULL,
	`group_id` integer NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`auto_registered` integer DEFAULT false NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `device_groups`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_name_unique` ON `devices` (`name`);--> statement-breakpoint
CREATE INDEX `devices_group_idx` ON `devices` (`group_id`);--> statement-breakpoint
CREATE TABLE `proxies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`network` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `proxies_name_unique` ON `proxies` (`name`);--> statement-breakpoint
CREATE TABLE `user_group_device_groups` (
	`user_group_id` integer NOT NULL,
	`device_group_id` integer NOT NULL,
	PRIMARY KEY(`user_group_id`, `device_group_id`),
	FOREIGN KEY (`user_group_id`) REFERENCES `user_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`device_group_id`) REFERENCES `device_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `user_group_members` (
	`user_id` integer NOT NULL,
	`user_group_id` integer NOT NULL,
	PRIMARY KEY(`user_id`, `user_group_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_group_id`) REFERENCES `user_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `user_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`priv_lvl` integer DEFAULT 1 NOT NULL,
	`tacacs_av` text DEFAULT '{}' NOT NULL,
	`radius_reply` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_groups_name_unique` ON `user_groups` (`name`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`password_hash` text NOT NULL,
	`enable_hash` text,
	`chap_secret_enc` text,
	`nt_hash` text,
	`expires_at` integer,
	`credential_version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);