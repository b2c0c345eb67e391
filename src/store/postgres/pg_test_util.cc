#include "store/postgres/pg_test_util.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "store/postgres/connection.h"

namespace ksgate::store::postgres::testing {
namespace {

constexpr std::chrono::seconds kConnectTimeout{10};

// A libpq key=value value: single-quoted, with \ and ' escaped.
std::string Quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

Result<std::unique_ptr<Connection>> Connect(const std::string& conninfo) {
  KSGATE_ASSIGN_OR_RETURN(ConnInfo info, ConnInfo::Parse(conninfo, kConnectTimeout));
  return Connection::Open(info);
}

}  // namespace

std::string TestDsn() {
  const char* dsn = std::getenv("KSGATE_TEST_PG_DSN");
  return dsn != nullptr ? dsn : "";
}

std::string WithDatabase(std::string_view conninfo, std::string_view dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(conninfo).c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return std::string();
  }
  std::string out = "dbname=" + Quote(dbname);
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::strcmp(o->keyword, "dbname") == 0) continue;
    out += ' ';
    out += o->keyword;
    out += '=';
    out += Quote(o->val);
  }
  PQconninfoFree(options);
  return out;
}

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Create(std::string_view options) {
  const std::string dsn = TestDsn();
  if (dsn.empty()) return InvalidArgumentError("KSGATE_TEST_PG_DSN is not set");
  std::random_device random;
  std::uniform_int_distribution<uint64_t> digits;
  char name[32];
  std::snprintf(name, sizeof name, "ksgate_t_%016llx",
                static_cast<unsigned long long>(digits(random)));
  KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> admin, Connect(dsn));
  // The name is ours ([a-z0-9_]); CREATE DATABASE takes no parameters.
  KSGATE_RETURN_IF_ERROR(admin->Exec("CREATE DATABASE \"" + std::string(name) +
                                     "\" TEMPLATE template0 ENCODING 'UTF8' " +
                                     std::string(options)));
  return std::unique_ptr<ScratchDatabase>(new ScratchDatabase(name));
}

ScratchDatabase::~ScratchDatabase() {
  Result<std::unique_ptr<Connection>> admin = Connect(TestDsn());
  if (admin.ok()) {
    static_cast<void>((*admin)->Exec("DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)"));
  }
}

Status ScratchDatabase::Exec(const std::string& sql) const {
  KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, Connect(conninfo()));
  return c->Exec(sql);
}

bool CanControlServer() {
  const char* ctl = std::getenv("KSGATE_TEST_PG_SERVER");
  return ctl != nullptr && *ctl != '\0';
}

Status ServerControl(std::string_view action) {
  if (!CanControlServer()) return UnavailableError("KSGATE_TEST_PG_SERVER is not set");
  const std::string command =
      std::string(std::getenv("KSGATE_TEST_PG_SERVER")) + " " + std::string(action);
  const int rc = std::system(command.c_str());
  if (rc != 0) return InternalError("\"" + command + "\" exited " + std::to_string(rc));
  return Status::Ok();
}

ChangeFeed::Callbacks ChangeRecorder::Callbacks() {
  ChangeFeed::Callbacks callbacks;
  callbacks.on_change = [this](const Change& change) {
    std::lock_guard lock(mu_);
    changes_.push_back(change);
    changed_.notify_all();
  };
  callbacks.on_resync = [this] {
    std::lock_guard lock(mu_);
    ++resyncs_;
    changed_.notify_all();
  };
  callbacks.on_state = [this](bool connected) {
    std::lock_guard lock(mu_);
    states_.push_back(connected);
    changed_.notify_all();
  };
  return callbacks;
}

bool ChangeRecorder::WaitUntil(const std::function<bool(const ChangeRecorder&)>& done,
                               std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return done(*this); });
}

std::vector<Change> ChangeRecorder::Changes() {
  std::lock_guard lock(mu_);
  return changes_;
}

int ChangeRecorder::Resyncs() {
  std::lock_guard lock(mu_);
  return resyncs_;
}

}  // namespace ksgate::store::postgres::testing
