-- Users, in the column layout of the reference server's 0.9 schema, so that
-- its databases and dumps carry over. JSON columns hold text. Usernames sort
-- and compare byte by byte (utf8mb4_bin), as on every other driver.
-- MySQL commits each CREATE at once: IF NOT EXISTS lets a script that
-- stopped half-way be run again.
CREATE TABLE IF NOT EXISTS `schema_migrations` (
  `version` varchar(32) NOT NULL PRIMARY KEY,
  `applied_at` bigint NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS `users` (
  `id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY,
  `username` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL UNIQUE,
  `password` varchar(255) NULL,
  `public_keys` longtext NULL,
  `home_dir` varchar(255) NOT NULL,
  `uid` integer NOT NULL,
  `gid` integer NOT NULL,
  `max_sessions` integer NOT NULL,
  `quota_size` bigint NOT NULL,
  `quota_files` integer NOT NULL,
  `permissions` longtext NOT NULL,
  `used_quota_size` bigint NOT NULL,
  `used_quota_files` integer NOT NULL,
  `last_quota_update` bigint NOT NULL,
  `upload_bandwidth` integer NOT NULL,
  `download_bandwidth` integer NOT NULL,
  `expiration_date` bigint NOT NULL,
  `last_login` bigint NOT NULL,
  `status` integer NOT NULL,
  `filters` longtext NULL,
  `filesystem` longtext NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO `schema_migrations` (`version`, `applied_at`)
  VALUES ('20261128', UNIX_TIMESTAMP() * 1000);
