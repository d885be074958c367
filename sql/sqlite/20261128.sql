-- Users, in the column layout of the reference server's 0.9 schema, so that
-- its databases and dumps carry over. JSON columns hold text.
BEGIN;
CREATE TABLE IF NOT EXISTS "schema_migrations" (
  "version" varchar(32) NOT NULL PRIMARY KEY,
  "applied_at" bigint NOT NULL
);
-- IF NOT EXISTS: a users table that the reference server's scripts created
-- is adopted as it is, its users kept.
CREATE TABLE IF NOT EXISTS "users" (
  "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
  "username" varchar(255) NOT NULL UNIQUE,
  "password" varchar(255) NULL,
  "public_keys" text NULL,
  "home_dir" varchar(255) NOT NULL,
  "uid" integer NOT NULL,
  "gid" integer NOT NULL,
  "max_sessions" integer NOT NULL,
  "quota_size" bigint NOT NULL,
  "quota_files" integer NOT NULL,
  "permissions" text NOT NULL,
  "used_quota_size" bigint NOT NULL,
  "used_quota_files" integer NOT NULL,
  "last_quota_update" bigint NOT NULL,
  "upload_bandwidth" integer NOT NULL,
  "download_bandwidth" integer NOT NULL,
  "expiration_date" bigint NOT NULL,
  "last_login" bigint NOT NULL,
  "status" integer NOT NULL,
  "filters" text NULL,
  "filesystem" text NULL
);
INSERT INTO "schema_migrations" ("version", "applied_at")
  VALUES ('20261128', CAST(strftime('%s', 'now') AS integer) * 1000);
COMMIT;
