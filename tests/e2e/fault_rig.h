#pragma once
// The rig of the fault tests: the real `omswatch run` against in-process
// simulated OMS deployments and a receiver whose behaviour the test switches
// (up, refusing connections, slow, any status with or without Retry-After,
// bytes that are not HTTP). Helpers count what the daemon logged and check
// that every event in the database reached the receiver exactly once.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "oms/simulator.h"
#include "tests/support/io.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch::testing {

// A webhook receiver on 127.0.0.1 that misbehaves on request. Each request
// gets its own connection (the reply says Connection: close).
class FaultyReceiver {
 public:
  enum class Mode { ok, down, slow, status, garbage };

  // The port is outside the kernel's ephemeral range: while the receiver
  // is down, a client connecting to an ephemeral port can be given that very
  // port as its own and connect to itself, and the receiver could not come
  // back on it.
  explicit FaultyReceiver(IoThread& io) : io_(io) {
    std::random_device seed;
    std::uniform_int_distribution<int> ports(20000, 29999);
    io_.invoke([&] {
      for (int tries = 0;; ++tries) {
        try {
          open(static_cast<std::uint16_t>(ports(seed)));
          return;
        } catch (const boost::system::system_error&) {
          if (tries > 100) throw;
        }
      }
    });
  }
  ~FaultyReceiver() {
    io_.invoke([&] {
      stopped_ = true;
      close();
      for (auto& s : held_) {
        boost::system::error_code ec;
        s->close(ec);
      }
    });
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  void set_ok() { set(Mode::ok, 200, ""); }
  // Connections refused: nothing listens on the port.
  void set_down() { set(Mode::down, 0, ""); }
  // Reads the request and never answers.
  void set_slow() { set(Mode::slow, 0, ""); }
  void set_status(unsigned status, std::string retry_after = "") {
    set(Mode::status, status, std::move(retry_after));
  }
  void set_garbage() { set(Mode::garbage, 0, ""); }

  std::size_t attempts() {
    std::lock_guard lock(event_.mutex());
    return attempts_;
  }
  bool wait_for_attempts(std::size_t n,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return event_.wait_for([&] { return attempts_ >= n; }, timeout);
  }
  // Accepted events, flattened.
  std::vector<boost::json::object> events() {
    std::lock_guard lock(event_.mutex());
    return events_;
  }
  std::size_t count(const std::string& kind, const std::string& state,
                    const std::string& project = "") {
    std::lock_guard lock(event_.mutex());
    return count_locked(kind, state, project);
  }
  bool wait_for(const std::string& kind, const std::string& state, const std::string& project,
                std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return event_.wait_for([&] { return count_locked(kind, state, project) > 0; }, timeout);
  }
  bool wait_for_count(const std::string& kind, const std::string& state, std::size_t n,
                      std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
    return event_.wait_for([&] { return count_locked(kind, state, "") >= n; }, timeout);
  }

 private:
  using tcp = boost::asio::ip::tcp;

  void set(Mode mode, unsigned status, std::string retry_after) {
    io_.invoke([&] {
      {
        std::lock_guard lock(event_.mutex());
        mode_ = mode;
        status_ = status;
        retry_after_ = std::move(retry_after);
      }
      if (mode == Mode::down) {
        close();
      } else if (!acceptor_) {
        open(port_);
      }
    });
  }

  // On the io thread.
  void open(std::uint16_t port) {
    acceptor_ = std::make_shared<tcp::acceptor>(io_.executor());
    tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    acceptor_->open(ep.protocol());
    acceptor_->set_option(tcp::acceptor::reuse_address(true));
    // Connections of the previous listener may still hold the port.
    acceptor_->set_option(
        boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acceptor_->bind(ep);
    acceptor_->listen();
    port_ = acceptor_->local_endpoint().port();
    boost::asio::co_spawn(io_.executor(), accept_loop(acceptor_), boost::asio::detached);
  }
  void close() {
    if (!acceptor_) return;
    boost::system::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
  }

  boost::asio::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor) {
    for (;;) {
      auto [ec, socket] =
          co_await acceptor->async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec || stopped_) co_return;
      boost::asio::co_spawn(io_.executor(), serve(std::make_shared<tcp::socket>(std::move(socket))),
                            boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket) {
    namespace asio = boost::asio;
    std::string data;
    auto [ec, n] = co_await asio::async_read_until(*socket, asio::dynamic_buffer(data), "\r\n\r\n",
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const std::string head = data.substr(0, n);
    std::size_t length = 0;
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto pos = lower.find("content-length:"); pos != std::string::npos) {
      length = std::stoul(head.substr(pos + 15));
    }
    if (length > 4 * 1024 * 1024) co_return;
    if (data.size() - n < length) {
      std::size_t missing = length - (data.size() - n);
      std::string more(missing, '\0');
      auto [ec2, got] = co_await asio::async_read(*socket, asio::buffer(more),
                                                  asio::as_tuple(asio::use_awaitable));
      if (ec2) co_return;
      data += more;
    }
    const std::string body = data.substr(n, length);
    Mode mode;
    unsigned status = 200;
    std::string retry_after;
    event_.update([&] {
      ++attempts_;
      mode = mode_;
      status = status_;
      retry_after = retry_after_;
      if (mode == Mode::ok) {
        boost::system::error_code pec;
        auto v = boost::json::parse(body, pec);
        if (!pec && v.is_object()) {
          if (auto* list = v.as_object().if_contains("events"); list && list->is_array()) {
            for (const auto& e : list->as_array()) events_.push_back(e.as_object());
          }
        }
      }
    });
    std::string reply;
    switch (mode) {
      case Mode::slow:
        held_.push_back(socket);  // never answered; closed when the receiver goes
        co_return;
      case Mode::garbage:
        reply = std::string("\x01\x02 this is not HTTP at all \xff\xfe\r\n\r\n", 34);
        break;
      case Mode::ok:
      case Mode::down:
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        break;
      case Mode::status:
        reply = "HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Length: 4\r\n" +
                (retry_after.empty() ? "" : "Retry-After: " + retry_after + "\r\n") +
                "Connection: close\r\n\r\nnope";
        break;
    }
    co_await asio::async_write(*socket, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
    boost::system::error_code ignored;
    socket->shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::size_t count_locked(const std::string& kind, const std::string& state,
                           const std::string& project) {
    std::size_t n = 0;
    for (const auto& e : events_) {
      if (e.at("kind").as_string() == kind && e.at("state").as_string() == state &&
          (project.empty() || e.at("project_id").as_string() == project)) {
        ++n;
      }
    }
    return n;
  }

  IoThread& io_;
  Event event_;
  std::shared_ptr<tcp::acceptor> acceptor_;
  std::vector<std::shared_ptr<tcp::socket>> held_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
  Mode mode_ = Mode::ok;
  unsigned status_ = 200;
  std::string retry_after_;
  std::size_t attempts_ = 0;
  std::vector<boost::json::object> events_;
};

// A simulated OMS whose progress requests the test can wait for.
struct SimOms {
  SimOms(IoThread& io, const std::vector<std::string>& ids)
      : sim(io.executor(), "watcher", "pw"), io_(io) {
    io.invoke([&] { sim.start(0); });
    for (const auto& id : ids) {
      oms::SimProject p;
      p.progress.project_id = id;
      p.progress.status = "RUNNING";
      p.progress.alarm_level = "MEDIUM";
      p.progress.current_step = "INCR_TRANSFER";
      p.progress.enable_incr_sync = false;
      sim.put_project(p);
    }
    sim.on_request([this](std::string_view action, std::string_view) {
      if (action == "DescribeProjectProgress") polled.update([&] { ++polls; });
    });
  }
  ~SimOms() {
    io_.invoke([&] { sim.stop(); });
  }
  std::uint64_t poll_count() {
    std::lock_guard lock(polled.mutex());
    return polls;
  }
  // Waits for `n` more progress requests than now.
  bool wait_polls(std::uint64_t n, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    const auto target = poll_count() + n;
    return polled.wait_for([&] { return polls >= target; }, timeout);
  }
  void set_status(const std::string& id, const std::string& status) {
    sim.update_project(id, [&](oms::SimProject& p) { p.progress.status = status; });
  }
  std::string url() const { return sim.base_url(); }

  oms::Simulator sim;
  Event polled;
  std::uint64_t polls = 0;

 private:
  IoThread& io_;
};

inline std::string toml_list(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? ", \"" : "\"") + ids[i] + "\"";
  return out + "]";
}

// One OMS "sim" polled every 200 ms, one webhook receiver "hook" (with
// `receiver_extra` keys, "key = value\n" lines), retries from 200 ms to 1 s,
// group_wait 0: the daemon of the database and receiver fault tests.
inline std::string one_oms_config(const std::string& db, const std::string& oms_url,
                                  const std::vector<std::string>& ids,
                                  const std::string& receiver_url,
                                  const std::string& receiver_extra = "") {
  return "[daemon]\ndatabase = \"" + db +
         "\"\nlisten = \"\"\nlog_level = \"info\"\n"
         "[[oms]]\nname = \"sim\"\nurl = \"" +
         oms_url +
         "\"\nusername = \"watcher\"\npassword = \"pw\"\ninterval = \"200ms\"\nprojects = " +
         toml_list(ids) +
         "\n[delivery]\nfirst_retry = \"200ms\"\nmax_retry = \"1s\"\n"
         "[routes.MEDIUM]\ngroup_wait = \"0s\"\n"
         "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
         receiver_url + "\"\n" + receiver_extra;
}

inline std::vector<std::string> project_ids(const std::string& prefix, int n) {
  std::vector<std::string> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

// Lines of the daemon's stderr log, except those that record an event (one
// per event, whatever the fault).
inline std::vector<std::string> log_lines_besides_events(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" info event ") != std::string::npos) continue;
    out.push_back(line);
  }
  return out;
}

inline std::size_t count_containing(const std::vector<std::string>& lines,
                                    const std::string& what) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.find(what) != std::string::npos;
  return n;
}

// Every event of the database at `db` arrived exactly once, and nothing else did.
inline void expect_every_event_delivered_once(
    const std::string& db, const std::string& scratch,
    const std::vector<boost::json::object>& arrived_events, std::size_t at_least) {
  auto listed = run_command(
      {OMSWATCH_BINARY, "events", "--db", db, "--format", "json", "--limit", "1000000"}, scratch);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::set<std::string> stored;
  const boost::json::value parsed = boost::json::parse(listed.out);
  for (const auto& e : parsed.as_array()) {
    stored.insert(std::string(e.at("id").as_string()));
  }
  EXPECT_GE(stored.size(), at_least);
  std::map<std::string, int> arrived;
  for (const auto& e : arrived_events) ++arrived[std::string(e.at("id").as_string())];
  for (const auto& id : stored) EXPECT_EQ(arrived[id], 1) << "event " << id;
  EXPECT_EQ(arrived.size(), stored.size()) << "events arrived that the database does not hold";
}

// Waits until the daemon's log contains `text`, looking again at each poll
// of `oms` (so the daemon's own progress paces the wait).
template <class Daemon>
bool wait_for_log(Daemon& daemon, SimOms& oms, const std::string& text,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (daemon.log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > until) return false;
    oms.wait_polls(1, std::chrono::seconds(5));
  }
  return true;
}

// The daemon with its configuration file and stderr log in `dir`.
class Daemon {
 public:
  Daemon(const TempDir& dir, const std::string& toml, std::vector<std::string> env = {})
      : config_(dir.file("omswatch.toml")), log_(dir.file("daemon.log")) {
    write_config(toml);
    process_ = std::make_unique<Process>(
        std::vector<std::string>{OMSWATCH_BINARY, "run", "-c", config_}, "", log_, std::move(env));
  }
  void write_config(const std::string& toml) {
    std::ofstream(config_) << toml;
    ::chmod(config_.c_str(), 0600);
  }
  std::string log() const { return read_file(log_); }
  Process& process() { return *process_; }
  // SIGTERM; the exit code.
  int stop() {
    process_->signal(SIGTERM);
    return process_->wait(std::chrono::seconds(60)).value_or(-1);
  }

 private:
  std::string config_;
  std::string log_;
  std::unique_ptr<Process> process_;
};

}  // namespace omswatch::testing
