/*
 * The schema, as forward-only migrations: db_migrations[v] takes a
 * database from user_version v to v + 1 and says so itself.  Never edit a
 * migration that has shipped; add the next one.
 *
 * Times are epoch seconds (UTC).  Addresses are 16-byte blobs, IPv4 as
 * IPv4-mapped IPv6, so one ordering covers both families.  Counts shown by
 * `status` live in stats and log_hours, kept by triggers, so that status
 * answers without counting a large table.
 */
#include "db_int.h"

static const char db_schema_1[] =
"CREATE TABLE domains ("
"  id INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL UNIQUE,"
"  active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),"
"  admin_contact TEXT NOT NULL DEFAULT '',"
"  created INTEGER NOT NULL"
") STRICT;"

"CREATE TABLE users ("
"  id INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL UNIQUE,"
"  kind TEXT NOT NULL CHECK (kind IN ('ip', 'smtp', 'domain')),"
"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
"  password TEXT,"
"  locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),"
"  locked_at INTEGER,"
"  lock_until INTEGER,"
"  lock_reason TEXT,"
"  auto_unlocks INTEGER NOT NULL DEFAULT 0,"
"  created INTEGER NOT NULL,"
"  CHECK ((kind = 'ip') = (password IS NULL))"
") STRICT;"
/* One authenticating domain per domain. */
"CREATE UNIQUE INDEX users_authdomain ON users(domain_id) WHERE kind = 'domain';"
"CREATE INDEX users_domain ON users(domain_id, name);"
"CREATE INDEX users_kind ON users(kind, name);"
"CREATE INDEX users_locked ON users(name) WHERE locked = 1;"

/* Only values that differ from usersettings.def's defaults are stored. */
"CREATE TABLE user_settings ("
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  key TEXT NOT NULL,"
"  value TEXT NOT NULL,"
"  PRIMARY KEY (user_id, key)"
") STRICT, WITHOUT ROWID;"
"CREATE INDEX user_settings_value ON user_settings(key, value);"

/* Ranges never overlap (db_user.c checks): one owner per address. */
"CREATE TABLE user_ips ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  cidr TEXT NOT NULL,"
"  lo BLOB NOT NULL CHECK (length(lo) = 16),"
"  hi BLOB NOT NULL CHECK (length(hi) = 16),"
"  CHECK (lo <= hi)"
") STRICT;"
"CREATE UNIQUE INDEX user_ips_start ON user_ips(lo);"
"CREATE INDEX user_ips_user ON user_ips(user_id);"

"CREATE TABLE identities ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  identity TEXT NOT NULL,"
"  messages INTEGER NOT NULL DEFAULT 0,"
"  spam INTEGER NOT NULL DEFAULT 0,"
"  first_seen INTEGER NOT NULL,"
"  last_seen INTEGER,"
"  locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),"
"  locked_at INTEGER,"
"  lock_until INTEGER,"
"  lock_reason TEXT,"
"  auto_unlocks INTEGER NOT NULL DEFAULT 0,"
"  UNIQUE (user_id, identity)"
") STRICT;"
"CREATE INDEX identities_locked ON identities(id) WHERE locked = 1;"

"CREATE TABLE templates ("
"  id INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL UNIQUE,"
"  subject TEXT NOT NULL,"
"  body TEXT NOT NULL,"
"  created INTEGER NOT NULL,"
"  updated INTEGER NOT NULL"
") STRICT;"

/* Every lock of a user or identity, current (lifted_at NULL) and past. */
"CREATE TABLE locks ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  identity_id INTEGER REFERENCES identities(id) ON DELETE CASCADE,"
"  locked_at INTEGER NOT NULL,"
"  until INTEGER,"
"  reason TEXT NOT NULL DEFAULT '',"
"  automatic INTEGER NOT NULL CHECK (automatic IN (0, 1)),"
"  locked_by TEXT,"
"  lifted_at INTEGER,"
"  lifted_by TEXT,"
"  lift_automatic INTEGER CHECK (lift_automatic IN (0, 1))"
") STRICT;"
"CREATE INDEX locks_user ON locks(user_id, identity_id, lifted_at);"
"CREATE INDEX locks_identity ON locks(identity_id);"

"CREATE TABLE counters ("
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  period TEXT NOT NULL CHECK (period IN"
"    ('minute', 'hour', 'day', 'week', 'month', 'recipients.day')),"
"  start INTEGER NOT NULL,"
"  count INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),"
"  PRIMARY KEY (user_id, period)"
") STRICT, WITHOUT ROWID;"

/*
 * The log keeps names, not ids: a row outlives the user it names.  A
 * domain's rows go with the domain (db_domain_del).
 */
"CREATE TABLE log ("
"  id INTEGER PRIMARY KEY,"
"  time INTEGER NOT NULL,"
"  queue_id TEXT NOT NULL,"
"  user TEXT NOT NULL,"
"  kind TEXT NOT NULL CHECK (kind IN ('ip', 'smtp', 'domain')),"
"  domain TEXT NOT NULL,"
"  sending_domain TEXT,"
"  client_ip TEXT NOT NULL DEFAULT '',"
"  sender TEXT NOT NULL,"
"  header_from TEXT NOT NULL DEFAULT '',"
"  subject TEXT NOT NULL DEFAULT '',"
"  size INTEGER NOT NULL DEFAULT 0,"
"  status TEXT NOT NULL CHECK (status IN"
"    ('relayed', 'refused', 'tempfail', 'quarantined')),"
"  reason TEXT NOT NULL DEFAULT '',"
"  reply TEXT NOT NULL DEFAULT ''"
") STRICT;"
"CREATE INDEX log_time ON log(time);"
"CREATE INDEX log_sender ON log(sender);"
"CREATE INDEX log_user ON log(user);"
"CREATE INDEX log_domain ON log(domain);"
"CREATE INDEX log_sending_domain ON log(sending_domain)"
"  WHERE sending_domain IS NOT NULL;"
"CREATE INDEX log_queue_id ON log(queue_id);"
"CREATE TABLE log_rcpts ("
"  log_id INTEGER NOT NULL REFERENCES log(id) ON DELETE CASCADE,"
"  rcpt TEXT NOT NULL,"
"  PRIMARY KEY (log_id, rcpt)"
") STRICT, WITHOUT ROWID;"
"CREATE INDEX log_rcpts_rcpt ON log_rcpts(rcpt, log_id);"

"CREATE TABLE quarantine ("
"  id INTEGER PRIMARY KEY,"
"  log_id INTEGER NOT NULL REFERENCES log(id) ON DELETE CASCADE,"
"  path TEXT NOT NULL,"
"  size INTEGER NOT NULL,"
"  created INTEGER NOT NULL,"
"  released_at INTEGER,"
"  released_by TEXT"
") STRICT;"
"CREATE INDEX quarantine_log ON quarantine(log_id);"
"CREATE TABLE archive ("
"  id INTEGER PRIMARY KEY,"
"  log_id INTEGER NOT NULL REFERENCES log(id) ON DELETE CASCADE,"
"  path TEXT NOT NULL,"
"  size INTEGER NOT NULL,"
"  created INTEGER NOT NULL"
") STRICT;"
"CREATE INDEX archive_log ON archive(log_id);"

"CREATE TABLE admins ("
"  id INTEGER PRIMARY KEY,"
"  name TEXT NOT NULL UNIQUE,"
"  hash TEXT NOT NULL,"
"  super INTEGER NOT NULL CHECK (super IN (0, 1)),"
"  created INTEGER NOT NULL"
") STRICT;"
"CREATE TABLE admin_domains ("
"  admin_id INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,"
"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
"  PRIMARY KEY (admin_id, domain_id)"
") STRICT, WITHOUT ROWID;"
"CREATE INDEX admin_domains_domain ON admin_domains(domain_id);"

"CREATE TABLE dkim_keys ("
"  id INTEGER PRIMARY KEY,"
"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
"  selector TEXT NOT NULL,"
"  algorithm TEXT NOT NULL CHECK (algorithm IN"
"    ('rsa-sha256', 'ed25519-sha256')),"
"  private_key TEXT NOT NULL,"
"  created INTEGER NOT NULL,"
"  UNIQUE (domain_id, selector)"
") STRICT;"

"CREATE TABLE new_domains ("
"  domain TEXT PRIMARY KEY,"
"  registered_at INTEGER NOT NULL,"
"  source TEXT NOT NULL,"
"  imported_at INTEGER NOT NULL"
") STRICT, WITHOUT ROWID;"

/* Counts for status, kept by triggers. */
"CREATE TABLE stats ("
"  key TEXT PRIMARY KEY,"
"  n INTEGER NOT NULL"
") STRICT, WITHOUT ROWID;"
"INSERT INTO stats(key, n) VALUES ('domains', 0), ('domains.active', 0),"
"  ('users.ip', 0), ('users.smtp', 0), ('users.domain', 0),"
"  ('users.locked', 0), ('identities.locked', 0);"
"CREATE TABLE log_hours ("
"  hour INTEGER PRIMARY KEY,"
"  n INTEGER NOT NULL"
") STRICT;"

"CREATE TRIGGER domains_ins AFTER INSERT ON domains BEGIN"
"  UPDATE stats SET n = n + 1 WHERE key = 'domains';"
"  UPDATE stats SET n = n + NEW.active WHERE key = 'domains.active';"
"END;"
"CREATE TRIGGER domains_del AFTER DELETE ON domains BEGIN"
"  UPDATE stats SET n = n - 1 WHERE key = 'domains';"
"  UPDATE stats SET n = n - OLD.active WHERE key = 'domains.active';"
"END;"
"CREATE TRIGGER domains_upd AFTER UPDATE OF active ON domains BEGIN"
"  UPDATE stats SET n = n + NEW.active - OLD.active"
"    WHERE key = 'domains.active';"
"END;"
"CREATE TRIGGER users_ins AFTER INSERT ON users BEGIN"
"  UPDATE stats SET n = n + 1 WHERE key = 'users.' || NEW.kind;"
"  UPDATE stats SET n = n + NEW.locked WHERE key = 'users.locked';"
"END;"
"CREATE TRIGGER users_del AFTER DELETE ON users BEGIN"
"  UPDATE stats SET n = n - 1 WHERE key = 'users.' || OLD.kind;"
"  UPDATE stats SET n = n - OLD.locked WHERE key = 'users.locked';"
"END;"
"CREATE TRIGGER users_upd AFTER UPDATE OF locked ON users BEGIN"
"  UPDATE stats SET n = n + NEW.locked - OLD.locked"
"    WHERE key = 'users.locked';"
"END;"
"CREATE TRIGGER identities_ins AFTER INSERT ON identities BEGIN"
"  UPDATE stats SET n = n + NEW.locked WHERE key = 'identities.locked';"
"END;"
"CREATE TRIGGER identities_del AFTER DELETE ON identities BEGIN"
"  UPDATE stats SET n = n - OLD.locked WHERE key = 'identities.locked';"
"END;"
"CREATE TRIGGER identities_upd AFTER UPDATE OF locked ON identities BEGIN"
"  UPDATE stats SET n = n + NEW.locked - OLD.locked"
"    WHERE key = 'identities.locked';"
"END;"
"CREATE TRIGGER log_ins AFTER INSERT ON log BEGIN"
"  INSERT INTO log_hours(hour, n) VALUES (NEW.time / 3600, 1)"
"    ON CONFLICT(hour) DO UPDATE SET n = n + 1;"
"END;"
"CREATE TRIGGER log_del AFTER DELETE ON log BEGIN"
"  UPDATE log_hours SET n = n - 1 WHERE hour = OLD.time / 3600;"
"END;"

"PRAGMA user_version = 1;";

/*
 * The builtin spam classifier's token store: per token, how many ham and
 * spam messages held it; the message totals in a single row.
 */
static const char db_schema_2[] =
"CREATE TABLE spam_tokens ("
"  token TEXT PRIMARY KEY,"
"  ham INTEGER NOT NULL DEFAULT 0 CHECK (ham >= 0),"
"  spam INTEGER NOT NULL DEFAULT 0 CHECK (spam >= 0)"
") STRICT, WITHOUT ROWID;"
"CREATE TABLE spam_totals ("
"  id INTEGER PRIMARY KEY CHECK (id = 1),"
"  ham INTEGER NOT NULL CHECK (ham >= 0),"
"  spam INTEGER NOT NULL CHECK (spam >= 0)"
") STRICT;"
"INSERT INTO spam_totals(id, ham, spam) VALUES (1, 0, 0);"

"PRAGMA user_version = 2;";

/*
 * Abuse control: lock notices in a language with an optional HTML body;
 * one row per spam message, so that "more than lock.threshold within
 * lock.window minutes" is a count over an index and survives a restart;
 * the quarantine remembers the envelope a release must relay with.
 */
static const char db_schema_3[] =
"ALTER TABLE templates ADD COLUMN language TEXT NOT NULL DEFAULT 'en';"
"ALTER TABLE templates ADD COLUMN html TEXT;"
"CREATE TABLE spam_hits ("
"  id INTEGER PRIMARY KEY,"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  identity_id INTEGER REFERENCES identities(id) ON DELETE CASCADE,"
"  time INTEGER NOT NULL"
") STRICT;"
"CREATE INDEX spam_hits_user ON spam_hits(user_id, time);"
"CREATE INDEX spam_hits_identity ON spam_hits(identity_id, time)"
"  WHERE identity_id IS NOT NULL;"
"ALTER TABLE quarantine ADD COLUMN sender TEXT NOT NULL DEFAULT '';"
"ALTER TABLE quarantine ADD COLUMN rcpts TEXT NOT NULL DEFAULT '[]';"
"ALTER TABLE quarantine ADD COLUMN deleted_at INTEGER;"
"ALTER TABLE quarantine ADD COLUMN deleted_by TEXT;"

"PRAGMA user_version = 3;";

/*
 * Newly registered domains: the answers of the RDAP server, cached per
 * registrable domain (status found, not_found or failed; registered_at
 * NULL when the answer gave no registration date) until expires_at; the
 * feed's rows found by import time (purge); each import recorded (status).
 */
static const char db_schema_4[] =
"CREATE TABLE nrd_rdap ("
"  domain TEXT PRIMARY KEY,"
"  status TEXT NOT NULL CHECK (status IN ('found', 'not_found', 'failed')),"
"  registered_at INTEGER,"
"  detail TEXT NOT NULL DEFAULT '',"
"  fetched_at INTEGER NOT NULL,"
"  expires_at INTEGER NOT NULL"
") STRICT, WITHOUT ROWID;"
"CREATE INDEX nrd_rdap_expires ON nrd_rdap(expires_at);"
"CREATE INDEX new_domains_imported ON new_domains(imported_at);"
/* One row per import request (a large file comes in several). */
"CREATE TABLE nrd_imports ("
"  id INTEGER PRIMARY KEY,"
"  time INTEGER NOT NULL,"
"  source TEXT NOT NULL,"
"  lines INTEGER NOT NULL,"
"  taken INTEGER NOT NULL,"
"  bad INTEGER NOT NULL"
") STRICT;"
/* The archive's purge walks its rows by age. */
"CREATE INDEX archive_created ON archive(created);"

"PRAGMA user_version = 4;";

/*
 * A user's version, counted up by every change to the user, its settings
 * or its IP ranges (whoever makes it: an admin, a lock by rule), so that
 * an admin's save can say which version it read (--if-version) and learn
 * of a change made meanwhile instead of overwriting it.
 */
static const char db_schema_5[] =
"ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;"
"CREATE TRIGGER users_version AFTER UPDATE ON users"
"  WHEN NEW.version = OLD.version BEGIN"
"  UPDATE users SET version = OLD.version + 1 WHERE id = NEW.id;"
"END;"
"CREATE TRIGGER user_settings_ins_version AFTER INSERT ON user_settings BEGIN"
"  UPDATE users SET version = version + 1 WHERE id = NEW.user_id;"
"END;"
"CREATE TRIGGER user_settings_upd_version AFTER UPDATE ON user_settings BEGIN"
"  UPDATE users SET version = version + 1 WHERE id = NEW.user_id;"
"END;"
"CREATE TRIGGER user_settings_del_version AFTER DELETE ON user_settings BEGIN"
"  UPDATE users SET version = version + 1 WHERE id = OLD.user_id;"
"END;"
"CREATE TRIGGER user_ips_ins_version AFTER INSERT ON user_ips BEGIN"
"  UPDATE users SET version = version + 1 WHERE id = NEW.user_id;"
"END;"
"CREATE TRIGGER user_ips_upd_version AFTER UPDATE ON user_ips BEGIN"
"  UPDATE users SET version = version + 1 WHERE id = NEW.user_id;"
"END;"
"CREATE TRIGGER user_ips_del_version AFTER DELETE ON user_ips BEGIN"
"  UPDATE users SET version = version + 1 WHERE id = OLD.user_id;"
"END;"

"PRAGMA user_version = 5;";

/* Known tools by SHA-256, imported by an admin (content import-hashes). */
static const char db_schema_6[] =
"CREATE TABLE content_hashes ("
"  sha256 TEXT PRIMARY KEY,"
"  name TEXT NOT NULL,"
"  category TEXT NOT NULL,"
"  imported_at INTEGER NOT NULL"
") STRICT, WITHOUT ROWID;"

"PRAGMA user_version = 6;";

const char *const db_migrations[] = {
	db_schema_1,
	db_schema_2,
	db_schema_3,
	db_schema_4,
	db_schema_5,
	db_schema_6,
};
const int db_nmigrations = sizeof db_migrations / sizeof db_migrations[0];
