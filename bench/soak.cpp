// soak: omswatch under a changing OMS, faults and SIGKILL, checked against
// the truth.
//
//   soak [--seconds 120] [--projects 200] [--daemon PATH] [--kill-every 30s | --kills N]
//        [--downtime-max 5s] [--seed N] [--margin 1s] [--settle 15s] [--receiver-503 0.02]
//        [--receiver-loses 0] [--keep | --clean]
//
// In this process: a simulated OMS (oms::Simulator) with N projects and a
// webhook receiver that checks each message's Standard Webhooks signature.
// The daemon is the real `omswatch` binary in a child process, configured
// (in a temporary directory) to poll every second, with group_wait 0 and
// fast retries. For --seconds, the projects change at random:
//   - status, among RUNNING, RUNNING_MODIFYING, RUNNING_MERGING, SUSPEND,
//     FAILED and FINISHED (any to any: the soak exercises every pair, not
//     OMS's lifecycle; RELEASED and DELETED end the watch and are left out).
//     A quarter of the states last under 1.5 s, the rest 3 to 25 s;
//   - the incremental checkpoint: advancing 2 s behind, lagging 90 s behind,
//     or frozen (a stall) for 3 to 40 s;
//   - faults of the OMS API for one project or for all, for 0.3 to 10 s:
//     http_500, garbage, reset, hang and api_failure (not huge: 20 MiB
//     replies at 200 polls a second measure memory, not correctness);
// the receiver answers 503 now and then (--receiver-503; with
// --receiver-loses it also forgets messages it accepted, which the soak must
// then report); and the daemon is killed with
// SIGKILL at random moments (--kill-every on average, or exactly --kills
// times; half of the kills wait for the next message the receiver accepts
// and strike before the daemon reads the 200) and started again after a
// random downtime. The soak records every
// state each project was served, with its time interval, every fault, and
// each life of the daemon. Then it stops the changes (faults end, checkpoints
// advance), lets the daemon settle, waits for its outbox to drain, stops it
// with SIGTERM and compares.
//
// What is compared. The detector's rules (docs/alerts.md) are the level of
// comparison; "a transition" is a change of one of these tracks:
//   status               announced by status_changed (details.to)
//   project_failed       firing while FAILED, resolved otherwise
//   project_suspended    firing while SUSPEND, resolved otherwise
//   incr_stalled         firing while RUNNING* with a frozen checkpoint,
//                        resolved when it advances or the project leaves RUNNING*
//   incr_lagging         firing while RUNNING* with a lag over max_lag (+2 s),
//                        resolved below 80% of it (-2 s) or out of RUNNING*;
//                        lags between are a hysteresis gap and not checked
//   project_unavailable  firing under api_failure, resolved by a good reply
//   oms_unreachable      firing under a global http_500/garbage/reset,
//                        resolved by any reply (a global hang is not checked)
// The receiver's view of a track at time T is what the delivered events
// observed (observed_at in the database) up to T say. A track's value is
// *required* once it has held, observable, for its settle time: observable
// means the daemon was polling (from its first request after a start until
// it was killed), and the project had no fault (a hang blocks its polls
// until the client's timeout more); the settle time is interval + margin,
// for a stall stall_after + 2 intervals + margin, for unavailability
// (unavailable_after + 1) intervals + margin, and for an unreachable OMS
// (unreachable_after + 2) intervals + margin. So a state that lasted only
// while the daemon was down is not required, and the final state of a
// downtime is required from the restart on: it must be announced after it.
// A required run that differed from the view before it began is a
// transition: notified (the view showed it from the settle time on), late
// (it showed it later: reported, not an error), or missed (never, while it
// held). A view that turned wrong while the truth held is "contradicted".
// Every status announcement must match a status served in the 3 s before
// it ("false event"), and each announcement must follow from the previous
// one (status_changed.from is the last `to`; a condition does not fire twice
// in a row): "inconsistent".
// Deliveries: an event id received twice is a duplicate; it was "in flight"
// when its earlier delivery came at most --in-flight (1 s) before a kill,
// else it is unexplained. Every event in the database must have been
// received and have no outbox row left undelivered.
//
// Exit status: 0 when nothing was missed, contradicted, false or inconsistent
// and no duplicate is unexplained and nothing undelivered; 1 otherwise; 64 on
// bad arguments.

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/soak_model.h"
#include "config/duration.h"
#include "net/http_server.h"
#include "oms/simulator.h"
#include "tests/support/io.h"
#include "tests/support/process.h"

#ifndef OMSWATCH_SOAK_DAEMON
#define OMSWATCH_SOAK_DAEMON ""
#endif

namespace {

using namespace omswatch;
using namespace omswatch::bench::soak;
namespace json = boost::json;
using std::chrono::milliseconds;

TimeMs now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Options {
  int seconds = 120;
  int projects = 200;
  std::string daemon = OMSWATCH_SOAK_DAEMON;
  milliseconds kill_every = std::chrono::seconds(30);
  std::optional<int> kills;
  milliseconds downtime_max = std::chrono::seconds(5);
  std::uint64_t seed = std::random_device{}();
  milliseconds margin = std::chrono::seconds(1);
  milliseconds settle = std::chrono::seconds(15);
  milliseconds in_flight = std::chrono::seconds(1);
  double receiver_503 = 0.02;
  double receiver_loses = 0;
  bool keep = false;   // keep the work directory after a pass too
  bool clean = false;  // remove it after a failure too
};

[[noreturn]] void usage(const std::string& message) {
  std::fprintf(stderr,
               "soak: %s\nusage: soak [--seconds 120] [--projects 200] [--daemon PATH] "
               "[--kill-every 30s | --kills N] [--downtime-max 5s] [--seed N] [--margin 1s] "
               "[--settle 15s] [--in-flight 1s] [--receiver-503 0.02] [--receiver-loses 0] "
               "[--keep | --clean]\n",
               message.c_str());
  std::exit(64);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--keep" || a == "--clean") {
      (a == "--keep" ? o.keep : o.clean) = true;
      continue;
    }
    if (a == "-h" || a == "--help") usage("a soak test of the omswatch daemon");
    if (i + 1 >= argc) usage("missing value of " + a);
    const std::string v = argv[++i];
    auto duration = [&] {
      auto d = config::parse_duration(v);
      if (!d) usage(a + ": not a duration: " + v);
      return *d;
    };
    auto number = [&](long lo, long hi) {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < lo || n > hi) {
        usage(a + ": not a number in " + std::to_string(lo) + ".." + std::to_string(hi) + ": " + v);
      }
      return n;
    };
    if (a == "--seconds") {
      o.seconds = static_cast<int>(number(5, 7 * 24 * 3600));
    } else if (a == "--projects") {
      o.projects = static_cast<int>(number(1, 5000));
    } else if (a == "--daemon") {
      o.daemon = v;
    } else if (a == "--kill-every") {
      o.kill_every = duration();
      if (o.kill_every.count() <= 0) usage("--kill-every must be above 0");
    } else if (a == "--kills") {
      o.kills = static_cast<int>(number(0, 100000));
    } else if (a == "--downtime-max") {
      o.downtime_max = std::max(duration(), milliseconds(200));
    } else if (a == "--seed") {
      o.seed = static_cast<std::uint64_t>(number(0, 0x7fffffffL));
    } else if (a == "--margin") {
      o.margin = duration();
    } else if (a == "--settle") {
      o.settle = duration();
    } else if (a == "--in-flight") {
      o.in_flight = duration();
    } else if (a == "--receiver-loses") {
      o.receiver_loses = std::strtod(v.c_str(), nullptr);
      if (o.receiver_loses < 0 || o.receiver_loses > 1) usage("--receiver-loses: 0 to 1");
    } else if (a == "--receiver-503") {
      o.receiver_503 = std::strtod(v.c_str(), nullptr);
      if (o.receiver_503 < 0 || o.receiver_503 > 0.5) usage("--receiver-503: 0 to 0.5");
    } else {
      usage("unknown argument " + a);
    }
  }
  if (o.daemon.empty() || !std::filesystem::exists(o.daemon)) {
    usage("the omswatch binary is not at '" + o.daemon + "': give --daemon PATH");
  }
  return o;
}

// --- Standard Webhooks signatures (docs/webhook.md), checked independently
// of the daemon's own code.

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out(3 * text.size() / 4 + 3, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
  if (len < 0) return {};
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<std::size_t>(len) - pad);
  return out;
}

std::string sign(const std::string& key, const std::string& content) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  return "v1," + base64(mac, len);
}

// --- the receiver

class Receiver {
 public:
  // `fail_rate`: the share of messages answered 503. `lose_rate`: the share
  // answered 200 and forgotten, a broken receiver that proves the soak's
  // checks can fail.
  Receiver(boost::asio::any_io_executor ex, std::string key, double fail_rate, double lose_rate,
           std::uint64_t seed)
      : key_(std::move(key)),
        fail_rate_(fail_rate),
        lose_rate_(lose_rate),
        rng_(seed),
        server_(ex, [this](net::ServerRequest r) -> boost::asio::awaitable<net::ServerResponse> {
          co_return handle(r);
        }) {}

  void listen() { server_.listen("127.0.0.1", 0); }
  void stop() { server_.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hook"; }

  std::vector<Delivery> deliveries() {
    std::lock_guard lock(mu_);
    return deliveries_;
  }
  std::size_t refused() {
    std::lock_guard lock(mu_);
    return refused_;
  }
  std::vector<std::string> problems() {
    std::lock_guard lock(mu_);
    return problems_;
  }

 private:
  net::ServerResponse handle(const net::ServerRequest& r) {
    const TimeMs at = now_ms();
    std::lock_guard lock(mu_);
    const std::string id(r.header("webhook-id"));
    const std::string ts(r.header("webhook-timestamp"));
    const std::string sig(r.header("webhook-signature"));
    const std::string expected = sign(key_, id + "." + ts + "." + r.body);
    if (id.empty() || sig.find(expected) == std::string::npos) {
      problems_.push_back("message " + id + " has no valid signature");
      return {400, "text/plain", {}, "bad signature", false};
    }
    if (std::bernoulli_distribution(fail_rate_)(rng_)) {
      ++refused_;
      return {503, "text/plain", {}, "try later", false};
    }
    if (lose_rate_ > 0 && std::bernoulli_distribution(lose_rate_)(rng_)) {
      return {200, "text/plain", {}, "ok", false};
    }
    Delivery d;
    d.received_at = at;
    d.webhook_id = id;
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    const json::array* events = nullptr;
    if (!ec && v.is_object()) {
      if (auto* e = v.as_object().if_contains("events"); e && e->is_array())
        events = &e->as_array();
    }
    if (!events) {
      problems_.push_back("message " + id + " is not a webhook payload");
      return {400, "text/plain", {}, "bad payload", false};
    }
    for (const auto& e : *events) {
      const json::value* eid = e.is_object() ? e.as_object().if_contains("id") : nullptr;
      if (eid && eid->is_string()) d.event_ids.emplace_back(eid->as_string());
    }
    deliveries_.push_back(std::move(d));
    // A kill timed on a delivery: the message arrived, the daemon never hears
    // the 200, so it must send the message again after its restart.
    if (pid_t pid = kill_pid_.exchange(0)) {
      killed_at_ = now_ms();
      ::kill(pid, SIGKILL);
    }
    return {200, "text/plain", {}, "ok", false};
  }

 public:
  // Kills `pid` with SIGKILL right after the next accepted message.
  void arm_kill(pid_t pid) {
    killed_at_ = 0;
    kill_pid_ = pid;
  }
  // True if the kill was still armed (and is no longer); false if it happened.
  bool disarm_kill() { return kill_pid_.exchange(0) != 0; }
  TimeMs killed_at() const { return killed_at_.load(); }

 private:
  const std::string key_;
  const double fail_rate_;
  const double lose_rate_;
  std::mt19937_64 rng_;
  std::mutex mu_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> problems_;
  std::size_t refused_ = 0;
  std::atomic<pid_t> kill_pid_{0};
  std::atomic<TimeMs> killed_at_{0};
  net::HttpServer server_;
};

// --- the projects

const std::vector<std::pair<std::string, int>> kStatuses = {
    {"RUNNING", 30}, {"RUNNING_MODIFYING", 5}, {"RUNNING_MERGING", 5},
    {"SUSPEND", 20}, {"FAILED", 25},           {"FINISHED", 15}};

std::string project_id(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "np_soak_%04d", i);
  return id;
}

std::int64_t checkpoint_of(const Served& s, TimeMs at) {
  switch (s.incr) {
    case IncrMode::advancing:
      return at / 1000 - kAdvancingLagS;
    case IncrMode::lagging:
      return at / 1000 - kLaggingLagS;
    case IncrMode::frozen:
      return s.frozen_checkpoint;
  }
  return 0;
}

oms::SimProject sim_project(const std::string& id, const Served& s, TimeMs at) {
  oms::SimProject p;
  p.name = "soak " + id;
  p.type = "SYNC";
  auto& pr = p.progress;
  pr.project_id = id;
  pr.status = s.status;
  pr.alarm_level = "MEDIUM";
  pr.current_step = "INCR_SYNC";
  pr.enable_struct_transfer = false;
  pr.enable_full_transfer = false;
  pr.enable_incr_sync = true;
  pr.enable_reverse_incr_transfer = false;
  const std::int64_t cp = checkpoint_of(s, at);
  pr.incr_sync_checkpoint = {std::to_string(cp), cp};
  oms::ProjectStep pre;
  pre.order = 1;
  pre.name = "TRANSFER_PRECHECK";
  pre.status = "FINISHED";
  pre.progress = 100;
  oms::ProjectStep incr;
  incr.order = 2;
  incr.name = "INCR_SYNC";
  incr.status = s.status == "FAILED" ? "FAILED" : "MONITORING";
  if (s.status == "FAILED") {
    incr.error.error_code = "ORA-01555";
    incr.error.error_msg = "ORA-01555: snapshot too old";
  }
  p.steps = {pre, incr};
  return p;
}

struct ProjectPlan {
  TimeMs next_status = 0;
  TimeMs next_incr = 0;
  TimeMs next_fault = 0;
  TimeMs fault_ends = 0;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_private(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), 0600);
}

// --- the database, read after the daemon stopped

struct Stored {
  std::vector<Event> events;
  std::vector<std::string> not_delivered;  // event ids with an outbox row not delivered
  std::size_t outbox = 0;
  std::string error;
};

std::size_t pending_outbox(const std::string& db) {
  sqlite3* h = nullptr;
  std::size_t n = 0;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 2000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM outbox WHERE status = 'pending'", -1, &st,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
    } else {
      n = 1;  // not readable yet: not drained
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

Stored read_database(const std::string& db) {
  Stored out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    out.error = "cannot open " + db + ": " + sqlite3_errmsg(h);
    sqlite3_close(h);
    return out;
  }
  auto text = [](sqlite3_stmt* st, int col) {
    const unsigned char* t = sqlite3_column_text(st, col);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h,
                     "SELECT id, coalesce(project_id, ''), kind, state, details_json, observed_at "
                     "FROM events ORDER BY observed_at",
                     -1, &st, nullptr);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    Event e;
    e.id = text(st, 0);
    e.project_id = text(st, 1);
    e.kind = text(st, 2);
    e.state = text(st, 3);
    e.observed_at = sqlite3_column_int64(st, 5);
    if (e.kind == "status_changed") {
      boost::system::error_code ec;
      json::value d = json::parse(text(st, 4), ec);
      if (!ec && d.is_object()) {
        if (auto* f = d.as_object().if_contains("from"); f && f->is_string())
          e.from = f->as_string();
        if (auto* t = d.as_object().if_contains("to"); t && t->is_string()) e.to = t->as_string();
      }
    }
    out.events.push_back(std::move(e));
  }
  sqlite3_finalize(st);
  st = nullptr;
  sqlite3_prepare_v2(h, "SELECT event_id, status FROM outbox", -1, &st, nullptr);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    ++out.outbox;
    if (text(st, 1) != "delivered") out.not_delivered.push_back(text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

// Error and critical lines of a daemon log ("TIME LEVEL message").
std::vector<std::string> log_errors(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(read_text(path));
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    std::string rest = line.substr(sp + 1);
    if (rest.starts_with("error ") || rest.starts_with("critical ")) out.push_back(line);
  }
  return out;
}

std::string percentile(std::vector<TimeMs> v, double p) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return std::to_string(v[i]) + " ms";
}

int run(const Options& o) {
  std::mt19937_64 rng(o.seed);
  auto uniform = [&](TimeMs lo, TimeMs hi) {
    return std::uniform_int_distribution<TimeMs>(lo, hi)(rng);
  };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };

  std::error_code ec;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("omswatch-soak-" + std::to_string(o.seed) + "-" + std::to_string(now_ms()));
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "soak: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  auto file = [&](const std::string& name) { return (dir / name).string(); };

  // Secrets of this run only.
  unsigned char raw_key[32];
  for (auto& b : raw_key) b = static_cast<unsigned char>(rng());
  const std::string key(reinterpret_cast<char*>(raw_key), sizeof raw_key);
  const std::string secret = "whsec_" + base64(raw_key, sizeof raw_key);
  const std::string password = "soak-" + std::to_string(rng());
  if (unbase64(secret.substr(6)) != key) {
    std::fprintf(stderr, "soak: base64 round trip failed\n");
    return 1;
  }

  testing::IoThread io;
  oms::Simulator sim(io.executor(), "soak", password);
  Receiver receiver(io.executor(), key, o.receiver_503, o.receiver_loses, o.seed ^ 0x5eed);
  io.invoke([&] {
    sim.start(0);
    receiver.listen();
  });

  Truth truth;
  std::map<std::string, ProjectPlan> plans;
  const TimeMs t0 = now_ms();
  for (int i = 1; i <= o.projects; ++i) {
    const std::string id = project_id(i);
    truth.projects.push_back(id);
    Served s{t0, "RUNNING", IncrMode::advancing, 0, 0};
    truth.served[id].push_back(s);
    sim.put_project(sim_project(id, s, t0));
  }

  // Requests seen: the first one after a start tells when the daemon polls.
  std::mutex seen_mu;
  std::set<std::string> baseline_seen;
  std::atomic<TimeMs> run_spawned{0}, run_first_request{0};
  sim.on_request([&](std::string_view action, std::string_view id) {
    const TimeMs at = now_ms();
    TimeMs none = 0;
    if (at >= run_spawned.load()) run_first_request.compare_exchange_strong(none, at);
    if (action == "DescribeProjectProgress") {
      std::lock_guard lock(seen_mu);
      if (baseline_seen.size() < truth.projects.size()) baseline_seen.emplace(id);
    }
  });

  const TimeMs interval = 1000, timeout = 2000;
  {
    std::ostringstream c;
    c << "[daemon]\ndatabase = \"" << file("soak.db") << "\"\nlisten = \"\"\nlog_level = \"info\"\n"
      << "[[oms]]\nname = \"soak\"\nurl = \"" << sim.base_url() << "\"\nusername = \"soak\"\n"
      << "password_file = \"" << file("oms.password") << "\"\ninterval = \"1s\"\ntimeout = \"2s\"\n"
      << "max_in_flight = 16\nprojects = [";
    for (std::size_t i = 0; i < truth.projects.size(); ++i) {
      c << (i ? ", " : "") << '"' << truth.projects[i] << '"';
    }
    c << "]\n[detect]\nstall_after = \"5s\"\nmax_lag = \"30s\"\nunavailable_after = 3\n"
      << "unreachable_after = 3\n"
      << "[delivery]\nfirst_retry = \"200ms\"\nmax_retry = \"1s\"\n"
      << "[routes.MEDIUM]\ngroup_wait = \"0s\"\n"
      << "[[receivers]]\nname = \"soak\"\ntype = \"webhook\"\nurl = \"" << receiver.url()
      << "\"\nsecret_file = \"" << file("hook.secret") << "\"\n";
    write_private(file("oms.password"), password);
    write_private(file("hook.secret"), secret);
    write_private(file("omswatch.toml"), c.str());
  }
  Rules rules;
  rules.interval = interval;
  rules.timeout = timeout;
  rules.margin = o.margin.count();
  rules.stall_after = 5000;
  rules.max_lag = 30000;
  rules.in_flight_window = o.in_flight.count();

  std::unique_ptr<testing::Process> daemon;
  std::vector<std::string> logs;
  std::vector<std::string> problems;
  auto start_daemon = [&] {
    logs.push_back(file("daemon-" + std::to_string(logs.size() + 1) + ".log"));
    DaemonRun r;
    r.spawned = now_ms();
    run_spawned = r.spawned;
    run_first_request = 0;
    truth.runs.push_back(r);
    daemon = std::make_unique<testing::Process>(
        std::vector<std::string>{o.daemon, "run", "-c", file("omswatch.toml")}, "", logs.back());
  };
  // Marks the current run as polling once a request arrived after its start.
  auto note_first_request = [&] {
    if (truth.runs.empty() || truth.runs.back().first_request || !daemon) return;
    if (TimeMs first = run_first_request.load()) truth.runs.back().first_request = first;
  };

  std::printf("soak: seed %llu, %d projects, %d s, daemon %s, work dir %s\n",
              static_cast<unsigned long long>(o.seed), o.projects, o.seconds, o.daemon.c_str(),
              dir.c_str());
  std::fflush(stdout);
  start_daemon();
  // The baseline: every project seen once before anything changes.
  for (TimeMs until = now_ms() + 60000; now_ms() < until;) {
    note_first_request();
    {
      std::lock_guard lock(seen_mu);
      if (baseline_seen.size() >= truth.projects.size()) break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  {
    std::lock_guard lock(seen_mu);
    if (baseline_seen.size() < truth.projects.size()) {
      std::fprintf(stderr, "soak: the daemon did not poll every project within 60 s; see %s\n",
                   logs.back().c_str());
      return 1;
    }
  }
  // One more interval, so that the baseline polls are stored.
  std::this_thread::sleep_for(milliseconds(interval + 200));
  truth.transitions_from = now_ms();
  const TimeMs changes_end = truth.transitions_from + o.seconds * 1000LL;

  // Kill schedule.
  std::vector<TimeMs> kill_at;
  if (o.kills) {
    for (int i = 0; i < *o.kills; ++i) {
      kill_at.push_back(truth.transitions_from + uniform(o.seconds * 100LL, o.seconds * 900LL));
    }
  } else {
    std::exponential_distribution<double> gap(1.0 / static_cast<double>(o.kill_every.count()));
    for (TimeMs t = truth.transitions_from + static_cast<TimeMs>(gap(rng)); t < changes_end;
         t += static_cast<TimeMs>(gap(rng))) {
      kill_at.push_back(t);
    }
  }
  std::sort(kill_at.begin(), kill_at.end());
  std::size_t next_kill = 0;
  TimeMs restart_at = 0;  // 0: no restart pending
  std::size_t kills = 0, kills_on_delivery = 0;
  TimeMs kill_armed_at = 0;  // a kill waits for the next accepted message

  std::size_t status_changes = 0, freezes = 0, lag_episodes = 0, resumes = 0;
  std::size_t project_faults = 0, global_faults = 0;
  std::map<std::string, std::size_t> fault_kinds;
  auto pick_status = [&](const std::string& current) {
    int total = 0;
    for (const auto& [s, w] : kStatuses) total += s == current ? 0 : w;
    int r = static_cast<int>(uniform(0, total - 1));
    for (const auto& [s, w] : kStatuses) {
      if (s == current) continue;
      if (r < w) return s;
      r -= w;
    }
    return kStatuses.front().first;
  };
  auto pick_fault = [&](bool global) {
    static const std::vector<std::pair<oms::Fault, int>> kProject = {{oms::Fault::http_500, 25},
                                                                     {oms::Fault::garbage, 15},
                                                                     {oms::Fault::reset, 15},
                                                                     {oms::Fault::api_failure, 35},
                                                                     {oms::Fault::hang, 10}};
    static const std::vector<std::pair<oms::Fault, int>> kGlobal = {{oms::Fault::http_500, 30},
                                                                    {oms::Fault::garbage, 15},
                                                                    {oms::Fault::reset, 20},
                                                                    {oms::Fault::api_failure, 25},
                                                                    {oms::Fault::hang, 10}};
    const auto& table = global ? kGlobal : kProject;
    int r = static_cast<int>(uniform(0, 99));
    for (const auto& [f, w] : table) {
      if (r < w) return f;
      r -= w;
    }
    return oms::Fault::http_500;
  };
  auto status_duration = [&] { return chance(0.25) ? uniform(200, 1500) : uniform(3000, 25000); };
  for (const auto& id : truth.projects) {
    auto& p = plans[id];
    p.next_status = truth.transitions_from + status_duration();
    p.next_incr = truth.transitions_from + uniform(2000, 40000);
    p.next_fault = truth.transitions_from + uniform(5000, 120000);
  }
  TimeMs next_global_fault = truth.transitions_from + uniform(5000, 40000);
  TimeMs global_fault_ends = 0;

  auto serve = [&](const std::string& id, Served s) {
    truth.served[id].push_back(s);
    sim.put_project(sim_project(id, s, s.at));
  };

  // The daemon was killed at `at`: it is reaped, and started again later.
  auto killed = [&](TimeMs at) {
    truth.runs.back().ended = at;
    truth.runs.back().killed = true;
    daemon->wait(std::chrono::seconds(20));
    daemon.reset();
    ++kills;
    restart_at = now_ms() + uniform(200, o.downtime_max.count());
  };

  // --- the changes
  while (now_ms() < changes_end) {
    const TimeMs now = now_ms();
    note_first_request();
    if (kill_armed_at) {
      if (TimeMs at = receiver.killed_at()) {
        kill_armed_at = 0;
        ++kills_on_delivery;
        killed(at);
      } else if (now - kill_armed_at > 3000 && receiver.disarm_kill()) {
        kill_armed_at = 0;  // no message for 3 s: a plain kill
        const TimeMs at = now_ms();
        daemon->signal(SIGKILL);
        killed(at);
      }
    } else if (daemon && next_kill < kill_at.size() && now >= kill_at[next_kill]) {
      ++next_kill;
      if (chance(0.5)) {
        kill_armed_at = now;
        receiver.arm_kill(daemon->pid());
      } else {
        const TimeMs at = now_ms();
        daemon->signal(SIGKILL);
        killed(at);
      }
    }
    if (!daemon && restart_at && now >= restart_at) {
      restart_at = 0;
      start_daemon();
    }
    for (const auto& id : truth.projects) {
      auto& plan = plans[id];
      Served cur = truth.served[id].back();
      cur.at = now;
      bool changed = false;
      if (now >= plan.next_status) {
        cur.status = pick_status(cur.status);
        plan.next_status = now + status_duration();
        ++status_changes;
        changed = true;
      }
      if (now >= plan.next_incr) {
        if (cur.incr != IncrMode::advancing) {
          cur.incr = IncrMode::advancing;
          plan.next_incr = now + uniform(5000, 60000);
          ++resumes;
        } else if (chance(0.6)) {
          cur.incr = IncrMode::frozen;
          cur.frozen_checkpoint = checkpoint_of(truth.served[id].back(), now);
          ++cur.freeze;
          plan.next_incr = now + uniform(3000, 40000);
          ++freezes;
        } else {
          cur.incr = IncrMode::lagging;
          plan.next_incr = now + uniform(5000, 30000);
          ++lag_episodes;
        }
        changed = true;
      }
      if (changed) {
        serve(id, cur);
      } else {
        // The checkpoint moves with the clock; no new state.
        sim.update_project(id, [&](oms::SimProject& p) {
          const std::int64_t cp = checkpoint_of(cur, now);
          p.progress.incr_sync_checkpoint = {std::to_string(cp), cp};
        });
      }
      if (plan.fault_ends && now >= plan.fault_ends) {
        plan.fault_ends = 0;
        sim.set_project_fault(id, oms::Fault::none);
        truth.project_faults[id].push_back({now, oms::Fault::none});
      } else if (!plan.fault_ends && now >= plan.next_fault) {
        oms::Fault f = pick_fault(false);
        TimeMs len = f == oms::Fault::hang ? uniform(300, 3000) : uniform(300, 8000);
        plan.fault_ends = now + len;
        plan.next_fault = now + len + uniform(10000, 150000);
        sim.set_project_fault(id, f);
        truth.project_faults[id].push_back({now, f});
        ++project_faults;
        ++fault_kinds[to_string(f)];
      }
    }
    if (global_fault_ends && now >= global_fault_ends) {
      global_fault_ends = 0;
      sim.set_fault(oms::Fault::none);
      truth.global_faults.push_back({now, oms::Fault::none});
    } else if (!global_fault_ends && now >= next_global_fault) {
      oms::Fault f = pick_fault(true);
      TimeMs len = f == oms::Fault::hang ? uniform(300, 2500) : uniform(500, 10000);
      global_fault_ends = now + len;
      next_global_fault = now + len + uniform(10000, 40000);
      sim.set_fault(f);
      truth.global_faults.push_back({now, f});
      ++global_faults;
      ++fault_kinds["global " + to_string(f)];
    }
    std::this_thread::sleep_for(milliseconds(100));
  }

  // --- quiet: faults end, checkpoints advance; the statuses stay.
  if (kill_armed_at && !receiver.disarm_kill()) {
    ++kills_on_delivery;
    killed(receiver.killed_at());
  }
  {
    const TimeMs now = now_ms();
    sim.set_fault(oms::Fault::none);
    truth.global_faults.push_back({now, oms::Fault::none});
    for (const auto& id : truth.projects) {
      sim.set_project_fault(id, oms::Fault::none);
      truth.project_faults[id].push_back({now, oms::Fault::none});
      Served cur = truth.served[id].back();
      if (cur.incr != IncrMode::advancing) {
        cur.at = now;
        cur.incr = IncrMode::advancing;
        ++resumes;
        serve(id, cur);
      }
    }
    if (!daemon) start_daemon();
  }
  const TimeMs quiet_from = now_ms();
  for (TimeMs until = quiet_from + o.settle.count(); now_ms() < until;) {
    note_first_request();
    const TimeMs now = now_ms();
    for (const auto& id : truth.projects) {
      const Served& cur = truth.served[id].back();
      sim.update_project(id, [&](oms::SimProject& p) {
        const std::int64_t cp = checkpoint_of(cur, now);
        p.progress.incr_sync_checkpoint = {std::to_string(cp), cp};
      });
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  // The outbox drains (the receiver's 503s are retried), then a clean stop.
  bool drained = false;
  for (TimeMs until = now_ms() + 60000; now_ms() < until;) {
    if (pending_outbox(file("soak.db")) == 0) {
      drained = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  if (!drained) problems.push_back("the outbox did not drain within 60 s after the settle time");
  note_first_request();
  truth.runs.back().ended = now_ms();
  truth.end = truth.runs.back().ended;
  daemon->signal(SIGTERM);
  auto code = daemon->wait(std::chrono::seconds(30));
  if (!code) {
    problems.push_back("the daemon did not stop within 30 s of SIGTERM");
  } else if (*code != 0) {
    problems.push_back("the daemon exited with " + std::to_string(*code) + " after SIGTERM");
  }
  daemon.reset();
  const oms::SimStats stats = sim.stats();
  io.invoke([&] {
    sim.stop();
    receiver.stop();
  });

  // --- compare
  Stored stored = read_database(file("soak.db"));
  if (!stored.error.empty()) problems.push_back(stored.error);
  const std::vector<Delivery> deliveries = receiver.deliveries();
  for (auto& p : receiver.problems()) problems.push_back(p);
  const Verdict v = check(truth, stored.events, deliveries, stored.not_delivered, rules);

  std::size_t log_error_lines = 0;
  std::vector<std::string> log_samples;
  for (const auto& path : logs) {
    for (auto& line : log_errors(path)) {
      ++log_error_lines;
      if (log_samples.size() < 5) log_samples.push_back(path + ": " + line);
    }
  }

  const double run_s = static_cast<double>(truth.end - truth.runs.front().spawned) / 1000.0;
  std::printf("\n== soak figures (seed %llu)\n", static_cast<unsigned long long>(o.seed));
  std::printf("run time            %.1f s (%d s of changes, then %.1f s quiet)\n", run_s, o.seconds,
              static_cast<double>(truth.end - quiet_from) / 1000.0);
  std::printf("projects            %d\n", o.projects);
  std::printf(
      "kills               %zu (SIGKILL; %zu right after a message arrived), "
      "daemon starts %zu\n",
      kills, kills_on_delivery, truth.runs.size());
  std::printf("changes made        %zu status, %zu stalls, %zu lag episodes, %zu resumes\n",
              status_changes, freezes, lag_episodes, resumes);
  std::printf("faults              %zu per project, %zu global:", project_faults, global_faults);
  for (const auto& [k, n] : fault_kinds) std::printf(" %s %zu,", k.c_str(), n);
  std::printf("\n");
  std::printf("polls made          %llu progress requests (%llu steps, %llu project)\n",
              static_cast<unsigned long long>(stats.progress_requests),
              static_cast<unsigned long long>(stats.steps_requests),
              static_cast<unsigned long long>(stats.project_requests));
  std::printf("events              %zu in the database, %zu outbox rows\n", v.events,
              stored.outbox);
  std::printf("deliveries          %zu messages accepted carrying %zu events; %zu answered 503\n",
              v.deliveries, v.event_deliveries, receiver.refused());
  std::printf("duplicates          %zu in flight at a kill, %zu unexplained\n",
              v.duplicates_in_flight, v.duplicates_unexplained);
  std::printf("undelivered         %zu (unknown to the database: %zu)\n", v.undelivered, v.unknown);
  std::printf("false/inconsistent  %zu / %zu\n", v.false_events, v.inconsistent);
  std::printf("delivery latency    p50 %s, p99 %s, max %s (poll to first arrival)\n",
              percentile(v.delivery_latency, 0.5).c_str(),
              percentile(v.delivery_latency, 0.99).c_str(),
              percentile(v.delivery_latency, 1.0).c_str());
  std::printf("start to first poll p50 %s, max %s\n", percentile(v.startup, 0.5).c_str(),
              percentile(v.startup, 1.0).c_str());
  std::printf(
      "detect after restart %zu changes made while down: p50 %s, p95 %s, max %s "
      "(from the start of the daemon to the poll that showed it)\n",
      v.detect_after_restart.size(), percentile(v.detect_after_restart, 0.5).c_str(),
      percentile(v.detect_after_restart, 0.95).c_str(),
      percentile(v.detect_after_restart, 1.0).c_str());
  std::printf("%-20s %11s %9s %5s %7s %13s %12s\n", "track", "transitions", "notified", "late",
              "missed", "steady checks", "contradicted");
  std::size_t transitions = 0, notified = 0, missed = 0, late = 0;
  for (const auto& [name, f] : v.tracks) {
    std::printf("%-20s %11zu %9zu %5zu %7zu %13zu %12zu\n", name.c_str(), f.transitions, f.notified,
                f.late, f.missed, f.steady_checks, f.contradicted);
    transitions += f.transitions;
    notified += f.notified;
    missed += f.missed;
    late += f.late;
  }
  std::printf("transitions         %zu required, %zu notified on time, %zu late, %zu missed\n",
              transitions, notified, late, missed);
  std::printf("daemon log          %zu error lines\n", log_error_lines);
  for (const auto& l : log_samples) std::printf("  %s\n", l.c_str());
  for (const auto& n : v.notes) std::printf("note: %s: %s\n", n.what.c_str(), n.text.c_str());
  std::size_t shown = 0;
  for (const auto& e : v.errors) {
    if (++shown > 200) {
      std::printf("... and %zu more errors\n", v.errors.size() - 200);
      break;
    }
    std::printf("ERROR: %s: %s\n", e.what.c_str(), e.text.c_str());
  }
  for (const auto& p : problems) std::printf("ERROR: %s\n", p.c_str());

  const bool ok = v.errors.empty() && problems.empty();
  std::printf("soak: %s\n", ok ? "PASS" : "FAIL");
  if ((ok && !o.keep) || o.clean) {
    std::filesystem::remove_all(dir, ec);
  } else {
    std::printf("soak: the database and daemon logs are in %s\n", dir.c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  return run(parse(argc, argv));
}
