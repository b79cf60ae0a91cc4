// SPDX-License-Identifier: Apache-2.0
#include "state_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "regions.hpp"
#include "shmon/clock.hpp"
#include "shmon/layout.hpp"
#include "shmon/paths.hpp"
#include "state_codec.hpp"

namespace shmon::agent {

namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE totals(id INTEGER PRIMARY KEY CHECK (id = 1), folded TEXT NOT NULL);
CREATE TABLE tombstones(incarnation INTEGER PRIMARY KEY, secret BLOB NOT NULL, ord INTEGER NOT NULL,
                        folded TEXT NOT NULL);
CREATE TABLE live(incarnation INTEGER PRIMARY KEY, secret BLOB NOT NULL, pid INTEGER NOT NULL,
                  start_time INTEGER NOT NULL, name TEXT NOT NULL, folded TEXT NOT NULL,
                  tails TEXT NOT NULL);
CREATE TABLE sources(id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE history(name TEXT NOT NULL, kind TEXT NOT NULL, t REAL NOT NULL, value REAL NOT NULL);
CREATE INDEX history_t ON history(t);
CREATE TABLE stats(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
)sql";

// Added after format 1 shipped: created on open when missing (an older store has no owners yet;
// its names are decided again, in name order, from its departed totals).
constexpr const char* kExportOwnersTable =
    "CREATE TABLE IF NOT EXISTS export_owners(exported TEXT PRIMARY KEY, metric TEXT NOT NULL)";

// SQLite integers are signed: incarnations and counters are stored as their bit pattern.
std::int64_t to_sql(std::uint64_t v) {
  return std::bit_cast<std::int64_t>(v);
}
std::uint64_t from_sql(sqlite3_int64 v) {
  return std::bit_cast<std::uint64_t>(v);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// A prepared statement; steps report SQLite's error text through the connection.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) == 0; }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return ok_; }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& blob(int i, const std::string& v) {
    sqlite3_bind_blob(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW -> true; SQLITE_DONE -> false; errors -> false with ok() false.
  bool row() {
    if (!ok_) return false;
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) ok_ = false;
    return false;
  }
  // Runs a statement that returns no rows; false on error. Resets for reuse.
  bool run() {
    if (!ok_) return false;
    const int rc = sqlite3_step(s_);
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) ok_ = false;
    return ok_;
  }
  std::int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  double f64(int c) const { return sqlite3_column_double(s_, c); }
  std::string text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p != nullptr ? std::string(p, std::size_t(sqlite3_column_bytes(s_, c))) : std::string();
  }
  std::string bytes(int c) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, c));
    return p != nullptr ? std::string(p, std::size_t(sqlite3_column_bytes(s_, c))) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  bool ok_ = false;
};

std::uint64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;
}

}  // namespace

StateStore::~StateStore() {
  close_db();
}

void StateStore::close_db() {
  if (db_ != nullptr) sqlite3_close(db_);
  db_ = nullptr;
}

void StateStore::quarantine(const std::string& path, const std::string& why) {
  const std::string aside = path + ".bad-" + utc_stamp();
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (::rename(path.c_str(), aside.c_str()) != 0) {
    spdlog::error("bad state file {} ({}) cannot be moved aside: {}; removing it", path, why,
                  std::strerror(errno));
    ::unlink(path.c_str());
  } else {
    spdlog::error("bad state file {}: {}; moved aside to {} and starting fresh", path, why, aside);
  }
  ++info_.bad_files;
}

namespace {

// Errors of the storage that mean "this directory cannot be used" rather than "not now".
bool unusable_errno(int err) {
  return err == EACCES || err == EPERM || err == EROFS || err == ENOTDIR || err == ELOOP;
}

}  // namespace

std::unique_ptr<StateStore> StateStore::open(const std::string& dir, const std::string& instance,
                                             std::uint64_t event_log_records, std::string* error,
                                             OpenFailure* failure) {
  *failure = OpenFailure::kNone;
  std::unique_ptr<StateStore> s(new StateStore());
  s->dir_ = dir;
  s->info_.dir = dir;
  const std::string db_path = dir + "/state.db";
  auto storage_failure = [&](const std::string& what, int err) {
    *error = what;
    *failure = unusable_errno(err) ? OpenFailure::kUnusable : OpenFailure::kStorage;
    return nullptr;
  };
  bool storage = false;
  int sys_errno = 0;
  if (std::string bad = s->open_db(db_path, instance, &storage); !bad.empty()) {
    sys_errno = s->db_ != nullptr ? sqlite3_system_errno(s->db_) : errno;
    s->close_db();
    if (storage) {
      // Nothing is moved aside: the file may be perfectly valid on a disk that is full now.
      if (s->fresh_created_) ::unlink(db_path.c_str());  // ours, still empty
      return storage_failure("cannot open the state database " + db_path + ": " + bad, sys_errno);
    }
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string p = db_path + suffix;
      if (*suffix == '\0') {
        s->quarantine(p, bad);
      } else if (::access(p.c_str(), F_OK) == 0) {
        ::rename(p.c_str(), (db_path + ".bad-" + utc_stamp() + suffix).c_str());
      }
    }
    s->loaded_ = LoadedState{};
    if (std::string again = s->open_db(db_path, instance, &storage); !again.empty()) {
      sys_errno = s->db_ != nullptr ? sqlite3_system_errno(s->db_) : errno;
      s->close_db();
      if (s->fresh_created_) ::unlink(db_path.c_str());
      return storage_failure("cannot create the state database " + db_path + ": " + again,
                             sys_errno);
    }
  }

  const std::string log_path = dir + "/events.log";
  if (s->fresh_ && ::access(log_path.c_str(), F_OK) == 0) {
    s->quarantine(log_path, "event log of a state database that no longer exists");
  }
  bool created = false;
  int log_errno = 0;
  auto log = EventLogFile::open(log_path, {s->state_id_, instance}, event_log_records, &created,
                                &log_errno);
  if (!log && log_errno == 0 && ::access(log_path.c_str(), F_OK) == 0) {
    s->quarantine(log_path, log.error());
    log = EventLogFile::open(log_path, {s->state_id_, instance}, event_log_records, &created,
                             &log_errno);
  }
  if (!log) {
    // A full disk (or an I/O error) while opening or allocating the log: the database stays as
    // it is (a fresh one holds nothing yet and is kept too: its state id matches nothing else).
    return storage_failure(log.error(), log_errno);
  }
  s->event_log_ = std::move(log.value());
  s->info_.event_log_durable = true;
  if (s->event_log_.capacity() != std::bit_ceil(event_log_records) && !created) {
    spdlog::warn(
        "event log {} keeps its capacity of {} records (--event-log-records asks {}); reset "
        "the state (shmonctl state reset) to change it",
        log_path, s->event_log_.capacity(), event_log_records);
  }
  if (s->info_.bad_files > 0) {
    std::lock_guard lock(s->mu_);
    Stmt st(s->db_,
            "INSERT INTO stats(key, value) VALUES('state_bad_files', ?1) "
            "ON CONFLICT(key) DO UPDATE SET value = value + ?1");
    if (!st.bind(1, std::int64_t(s->info_.bad_files)).run()) {
      return storage_failure(
          "cannot write to the state database " + db_path + ": " + s->db_error(&storage),
          sqlite3_system_errno(s->db_));
    }
  }
  return s;
}

std::string StateStore::db_error(bool* storage) const {
  if (db_ == nullptr) {
    *storage = true;
    return "cannot open";
  }
  const int primary = sqlite3_extended_errcode(db_) & 0xff;
  const int sys = sqlite3_system_errno(db_);
  std::string why = sqlite3_errmsg(db_);
  // SQLite's text for an I/O error says nothing of the cause: name the errno.
  if (sys != 0) why += std::string(" (") + std::strerror(sys) + ")";
  switch (primary) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_INTERRUPT:
    case SQLITE_AUTH:
      *storage = true;
      break;
    default:
      break;
  }
  return why;
}

std::string StateStore::open_db(const std::string& path, const std::string& instance,
                                bool* storage) {
  fresh_ = false;
  fresh_created_ = false;
  *storage = false;
  struct stat st;
  const bool exists = ::lstat(path.c_str(), &st) == 0;
  if (exists) {
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    if (st.st_uid != ::geteuid()) {
      return "owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
             std::to_string(::geteuid()) + ")";
    }
    if (st.st_size == 0) return "empty (truncated)";
  } else {
    // Created 0600 by us: SQLite gives its -wal and -shm files the database file's mode.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      *storage = true;
      return std::string("cannot create: ") + std::strerror(errno);
    }
    ::close(fd);
    fresh_created_ = true;
  }
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
                      nullptr) != SQLITE_OK) {
    return db_error(storage);
  }
  sqlite3_busy_timeout(db_, 1000);
  auto pragma_text = [&](const char* sql) -> std::optional<std::string> {
    Stmt q(db_, sql);
    if (!q.row()) return std::nullopt;
    return q.text(0);
  };
  const auto mode = pragma_text("PRAGMA journal_mode=WAL");
  if (!mode) return "cannot use WAL: " + db_error(storage);
  if (*mode != "wal") {
    *storage = true;  // WAL refused without an error: the file system cannot hold its -shm file
    return "cannot use WAL (journal mode stays " + *mode + ")";
  }
  if (!exec_locked("PRAGMA synchronous=NORMAL")) return db_error(storage);
  if (exists) {
    const auto check = pragma_text("PRAGMA quick_check");
    if (!check) return "integrity check failed: " + db_error(storage);
    if (*check != "ok") return "integrity check failed: " + *check;
  }
  Stmt tables(db_, "SELECT count(*), sum(name = 'meta') FROM sqlite_master WHERE type = 'table'");
  if (!tables.row()) return db_error(storage);
  const std::int64_t table_count = tables.i64(0);
  if (table_count == 0) {
    // A new store: schema and identity in one transaction.
    fresh_ = true;
    state_id_ = random_u64();
    if (!exec_locked("BEGIN IMMEDIATE") || !exec_locked(kSchema) ||
        !exec_locked(kExportOwnersTable)) {
      return db_error(storage);
    }
    Stmt meta(db_, "INSERT INTO meta(key, value) VALUES(?1, ?2)");
    const std::pair<const char*, std::string> rows[] = {
        {"format", std::to_string(kStateFormat)},
        {"abi", std::to_string(kAbiVersion)},
        {"uid", std::to_string(::geteuid())},
        {"instance", instance},
        {"state_id", hex64(state_id_)},
        {"created_realtime_ns", std::to_string(realtime_ns())},
        {"writer", "shmon-agent"}};
    for (const auto& [k, v] : rows) {
      if (!meta.bind(1, std::string(k)).bind(2, v).run()) return db_error(storage);
    }
    if (!exec_locked("COMMIT")) return db_error(storage);
    fresh_created_ = false;  // holds a schema now: kept from here on
    return {};
  }
  if (tables.i64(1) != 1) return "not a shmon state database (no meta table)";
  std::map<std::string, std::string> meta;
  {
    Stmt q(db_, "SELECT key, value FROM meta");
    while (q.row()) meta[q.text(0)] = q.text(1);
    if (!q.ok()) return db_error(storage);
  }
  if (meta["format"] != std::to_string(kStateFormat)) {
    return "state format " + meta["format"] + ", this agent reads " + std::to_string(kStateFormat);
  }
  if (meta["abi"] != std::to_string(kAbiVersion)) {
    return "state of ABI " + meta["abi"] + ", this agent speaks " + std::to_string(kAbiVersion);
  }
  if (meta["uid"] != std::to_string(::geteuid())) return "state of uid " + meta["uid"];
  if (meta["instance"] != instance) return "state of instance '" + meta["instance"] + "'";
  if (meta["state_id"].size() != 16) return "state without a valid state id";
  state_id_ = std::stoull(meta["state_id"], nullptr, 16);
  if (!exec_locked(kExportOwnersTable)) return db_error(storage);
  return load_all(storage);
}

std::string StateStore::load_all(bool* storage) {
  try {
    LoadedState l;
    {
      Stmt q(db_, "SELECT folded FROM totals WHERE id = 1");
      if (q.row()) l.totals = decode_folded(json::parse(q.text(0)));
      if (!q.ok()) return db_error(storage);
    }
    {
      Stmt q(db_, "SELECT incarnation, secret, ord, folded FROM tombstones ORDER BY ord");
      while (q.row()) {
        l.tombstones.push_back(
            {from_sql(q.i64(0)), q.bytes(1), decode_folded(json::parse(q.text(3)))});
        next_ord_ = std::max<std::uint64_t>(next_ord_, from_sql(q.i64(2)) + 1);
      }
      if (!q.ok()) return db_error(storage);
    }
    {
      Stmt q(db_, "SELECT incarnation, secret, pid, start_time, name, folded, tails FROM live");
      while (q.row()) {
        LiveSnapshot s;
        s.incarnation = from_sql(q.i64(0));
        s.secret = q.bytes(1);
        s.pid = pid_t(q.i64(2));
        s.start_time = from_sql(q.i64(3));
        s.name = q.text(4);
        s.values = decode_folded(json::parse(q.text(5)));
        s.tails = json::parse(q.text(6)).get<std::vector<std::uint64_t>>();
        if (s.tails.size() > DataLimits::kMaxShards) throw std::runtime_error("too many tails");
        l.live.push_back(std::move(s));
      }
      if (!q.ok()) return db_error(storage);
    }
    {
      Stmt q(db_, "SELECT id, doc FROM sources ORDER BY id");
      while (q.row()) {
        auto src = std::make_shared<EventSource>(decode_source(json::parse(q.text(1))));
        src->id = std::uint32_t(q.i64(0));
        l.max_source_id = std::max(l.max_source_id, src->id);
        l.sources.push_back(std::move(src));
      }
      if (!q.ok()) return db_error(storage);
    }
    {
      Stmt q(db_, "SELECT name, kind, t, value FROM history ORDER BY t");
      while (q.row()) l.history.push_back({q.text(0), q.text(1), q.f64(2), q.f64(3)});
      if (!q.ok()) return db_error(storage);
    }
    {
      Stmt q(db_, "SELECT key, value FROM stats");
      while (q.row()) l.stats[q.text(0)] = from_sql(q.i64(1));
      if (!q.ok()) return db_error(storage);
    }
    {
      Stmt q(db_, "SELECT exported, metric FROM export_owners");
      while (q.row()) l.export_owners[q.text(0)] = q.text(1);
      if (!q.ok()) return db_error(storage);
    }
    info_.bad_files = l.stats["state_bad_files"];
    loaded_ = std::move(l);
  } catch (const std::exception& e) {
    return std::string("unreadable content: ") + e.what();
  }
  return {};
}

bool StateStore::exec_locked(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

bool StateStore::write_failed_locked(const std::string& what) {
  bool storage = false;
  const std::string why = db_error(&storage);
  exec_locked("ROLLBACK");
  behind_ = true;
  ++info_.write_errors;
  info_.last_error = what + ": " + why;
  const std::uint64_t now = monotonic_ns();
  if (last_error_log_ns_ == 0 || now - last_error_log_ns_ > 5'000'000'000ull) {
    last_error_log_ns_ = now;
    spdlog::error(
        "STATE: cannot write {} to {}: {} ({} failed writes so far); the agent keeps "
        "serving from memory, answers flushes 'not durable' and retries until the write "
        "succeeds",
        what, dir_, why, info_.write_errors);
  }
  return false;
}

bool StateStore::commit_locked(const char* what) {
  if (!exec_locked("COMMIT")) return write_failed_locked(what);
  info_.last_commit_realtime_ns = realtime_ns();
  return true;
}

bool StateStore::save_source(const EventSource& s) {
  std::lock_guard lock(mu_);
  saved_since_prune_.push_back(s.id);
  Stmt q(db_, "INSERT OR REPLACE INTO sources(id, doc) VALUES(?1, ?2)");
  if (!q.bind(1, std::int64_t(s.id)).bind(2, encode_source(s).dump()).run()) {
    return write_failed_locked("an event source");
  }
  info_.last_commit_realtime_ns = realtime_ns();
  return true;
}

bool StateStore::save_totals(const Folded& totals) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("the totals");
  Stmt t(db_, "INSERT OR REPLACE INTO totals(id, folded) VALUES(1, ?1)");
  if (!t.bind(1, encode_folded(totals).dump()).run()) return write_failed_locked("the totals");
  return commit_locked("the totals");
}

bool StateStore::fold(std::uint64_t incarnation, const std::string& secret, const Folded& stone,
                      const Folded& totals, std::optional<std::uint64_t> evicted) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("a departure");
  Stmt t(db_, "INSERT OR REPLACE INTO totals(id, folded) VALUES(1, ?1)");
  Stmt s(db_,
         "INSERT OR REPLACE INTO tombstones(incarnation, secret, ord, folded) VALUES(?1, ?2, ?3, "
         "?4)");
  Stmt l(db_, "DELETE FROM live WHERE incarnation = ?1");
  Stmt e(db_, "DELETE FROM tombstones WHERE incarnation = ?1");
  bool ok = t.bind(1, encode_folded(totals).dump()).run() &&
            s.bind(1, to_sql(incarnation))
                .blob(2, secret)
                .bind(3, std::int64_t(next_ord_++))
                .bind(4, encode_folded(stone).dump())
                .run() &&
            l.bind(1, to_sql(incarnation)).run();
  if (ok && evicted) ok = e.bind(1, to_sql(*evicted)).run();
  if (!ok) return write_failed_locked("a departure");
  return commit_locked("a departure");
}

bool StateStore::unfold(std::uint64_t incarnation, const Folded& totals, const LiveSnapshot* live) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("a re-attach");
  Stmt t(db_, "INSERT OR REPLACE INTO totals(id, folded) VALUES(1, ?1)");
  Stmt d(db_, "DELETE FROM tombstones WHERE incarnation = ?1");
  if (!t.bind(1, encode_folded(totals).dump()).run() || !d.bind(1, to_sql(incarnation)).run() ||
      (live != nullptr && !insert_live_locked(*live))) {
    return write_failed_locked("a re-attach");
  }
  return commit_locked("a re-attach");
}

bool StateStore::insert_live_locked(const LiveSnapshot& s) {
  Stmt q(db_,
         "INSERT OR REPLACE INTO live(incarnation, secret, pid, start_time, name, folded, tails) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  return q.bind(1, to_sql(s.incarnation))
      .blob(2, s.secret)
      .bind(3, std::int64_t(s.pid))
      .bind(4, to_sql(s.start_time))
      .bind(5, s.name)
      .bind(6, encode_folded(s.values).dump())
      .bind(7, json(s.tails).dump())
      .run();
}

bool StateStore::save_live(const std::vector<LiveSnapshot>& snapshots) {
  if (snapshots.empty()) return true;
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("client snapshots");
  for (const LiveSnapshot& s : snapshots) {
    if (!insert_live_locked(s)) return write_failed_locked("client snapshots");
  }
  return commit_locked("client snapshots");
}

bool StateStore::save_history(const std::vector<HistoryPoint>& points, double drop_before_t) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("history");
  Stmt ins(db_, "INSERT INTO history(name, kind, t, value) VALUES(?1, ?2, ?3, ?4)");
  for (const HistoryPoint& p : points) {
    if (!ins.bind(1, p.name).bind(2, p.kind).bind(3, p.t).bind(4, p.value).run()) {
      return write_failed_locked("history");
    }
  }
  Stmt del(db_, "DELETE FROM history WHERE t < ?1");
  if (!del.bind(1, drop_before_t).run()) return write_failed_locked("history");
  return commit_locked("history");
}

bool StateStore::save_stats(const std::map<std::string, std::uint64_t>& stats) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("statistics");
  Stmt q(db_, "INSERT OR REPLACE INTO stats(key, value) VALUES(?1, ?2)");
  for (const auto& [k, v] : stats) {
    if (!q.bind(1, k).bind(2, to_sql(v)).run()) return write_failed_locked("statistics");
  }
  return commit_locked("statistics");
}

bool StateStore::save_export_owner(const std::string& exported, const std::string& metric) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("exported name owners");
  Stmt q(db_, "INSERT OR IGNORE INTO export_owners(exported, metric) VALUES(?1, ?2)");
  if (!q.bind(1, exported).bind(2, metric).run()) {
    return write_failed_locked("exported name owners");
  }
  return commit_locked("exported name owners");
}

bool StateStore::prune_sources(const std::vector<std::uint32_t>& keep) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE") ||
      !exec_locked("CREATE TEMP TABLE IF NOT EXISTS keep_sources(id INTEGER PRIMARY KEY)") ||
      !exec_locked("DELETE FROM keep_sources")) {
    return write_failed_locked("event sources");
  }
  Stmt ins(db_, "INSERT OR IGNORE INTO keep_sources(id) VALUES(?1)");
  std::vector<std::uint32_t> all = keep;
  all.insert(all.end(), saved_since_prune_.begin(), saved_since_prune_.end());
  for (std::uint32_t id : all) {
    if (!ins.bind(1, std::int64_t(id)).run()) return write_failed_locked("event sources");
  }
  saved_since_prune_.clear();
  if (!exec_locked("DELETE FROM sources WHERE id NOT IN (SELECT id FROM keep_sources)")) {
    return write_failed_locked("event sources");
  }
  return commit_locked("event sources");
}

void StateStore::sync(const EventLog& log) {
  std::lock_guard lock(mu_);
  int logged = 0, checkpointed = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logged, &checkpointed);
  bool ok = rc == SQLITE_OK;
  if (!ok) {
    // A checkpoint that fails loses nothing (the WAL keeps every commit): not "behind".
    const bool was_behind = behind_;
    write_failed_locked("a checkpoint");
    behind_ = was_behind;
  }
  if (log.durable() && !log.file().sync()) {
    ok = false;
    ++info_.write_errors;
    info_.last_error = std::string("msync of the event log: ") + std::strerror(errno);
  }
  if (ok) info_.last_sync_realtime_ns = realtime_ns();
}

bool StateStore::behind() const {
  std::lock_guard lock(mu_);
  return behind_;
}

bool StateStore::resync(const Folded& totals, const std::vector<StoredTombstone>& oldest_first,
                        const std::vector<LiveSnapshot>& live) {
  std::lock_guard lock(mu_);
  if (!exec_locked("BEGIN IMMEDIATE")) return write_failed_locked("a resync");
  Stmt t(db_, "INSERT OR REPLACE INTO totals(id, folded) VALUES(1, ?1)");
  Stmt s(db_, "INSERT INTO tombstones(incarnation, secret, ord, folded) VALUES(?1, ?2, ?3, ?4)");
  bool ok = exec_locked("DELETE FROM tombstones") && exec_locked("DELETE FROM live") &&
            t.bind(1, encode_folded(totals).dump()).run();
  for (std::size_t i = 0; ok && i < oldest_first.size(); ++i) {
    const StoredTombstone& stone = oldest_first[i];
    ok = s.bind(1, to_sql(stone.incarnation))
             .blob(2, stone.secret)
             .bind(3, std::int64_t(next_ord_++))
             .bind(4, encode_folded(stone.folded).dump())
             .run();
  }
  for (std::size_t i = 0; ok && i < live.size(); ++i) ok = insert_live_locked(live[i]);
  if (!ok) return write_failed_locked("a resync");
  if (!commit_locked("a resync")) return false;
  behind_ = false;
  spdlog::warn("STATE: {} holds everything again ({} departed clients, {} live)", dir_,
               oldest_first.size(), live.size());
  return true;
}

StateInfo StateStore::info() const {
  std::lock_guard lock(mu_);
  StateInfo i = info_;
  for (const char* name : {"/state.db", "/state.db-wal", "/state.db-shm", "/events.log"}) {
    i.bytes += file_size(dir_ + name);
  }
  return i;
}

}  // namespace shmon::agent
