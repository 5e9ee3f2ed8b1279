#pragma once
// A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a
// loopback port, for tests of the alertmanager receiver, of
// `omswatch notify-test` and of two omswatch instances behind an
// Alertmanager cluster: its own configuration and storage in a temporary
// directory, alone or gossiping with peers on loopback, killed when the
// object goes away.

#include <signal.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "tests/support/free_port.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch::testing {

inline constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

inline constexpr const char* kBlackholeConfig =
    "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n";

struct AlertmanagerOptions {
  std::string config = kBlackholeConfig;  // the contents of alertmanager.yml
  std::string web_config;                 // the contents of --web.config.file (basic auth), or ""
  std::uint16_t web_port = 0;             // 0: a free port
  // Clustering, off while cluster_port is 0: gossip on 127.0.0.1:cluster_port
  // with the peers on 127.0.0.1:peers. A peer at position N in the cluster
  // waits N * peer_timeout before it notifies, so that the notification log
  // of the peers before it (gossiped) tells it what they already sent.
  std::uint16_t cluster_port = 0;
  std::vector<std::uint16_t> peers;
  std::chrono::milliseconds peer_timeout{1000};
  // --log.level=debug: the log (log_path()) then has a line for each alert
  // received (`msg="Received alert" alert=NAME[FINGERPRINT][active|resolved]`)
  // and one when each flush of an aggregation group starts
  // (`msg=flushing alerts=[...]`); a group's flushes run one after the other.
  bool debug_log = false;
};

class RealAlertmanager {
 public:
  // `web_config`: the contents of --web.config.file (basic auth), or "".
  explicit RealAlertmanager(const std::string& web_config = "")
      : RealAlertmanager([&] {
          AlertmanagerOptions o;
          o.web_config = web_config;
          return o;
        }()) {}

  explicit RealAlertmanager(const AlertmanagerOptions& options)
      : port_(options.web_port ? options.web_port : free_port()) {
    std::ofstream(dir_.file("alertmanager.yml")) << options.config;
    std::vector<std::string> argv = {kAlertmanager,
                                     "--config.file=" + dir_.file("alertmanager.yml"),
                                     "--storage.path=" + dir_.file("data"),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    if (options.cluster_port == 0) {
      argv.push_back("--cluster.listen-address=");
    } else {
      // Gossip every 50 ms and a full state exchange every second, so that a
      // peer learns what the other notified well within peer_timeout.
      argv.push_back("--cluster.listen-address=127.0.0.1:" + std::to_string(options.cluster_port));
      for (auto peer : options.peers) {
        argv.push_back("--cluster.peer=127.0.0.1:" + std::to_string(peer));
      }
      argv.push_back("--cluster.peer-timeout=" + std::to_string(options.peer_timeout.count()) +
                     "ms");
      argv.push_back("--cluster.gossip-interval=50ms");
      argv.push_back("--cluster.pushpull-interval=1s");
      argv.push_back("--cluster.settle-timeout=2s");
      argv.push_back("--cluster.reconnect-interval=1s");
    }
    if (options.debug_log) argv.push_back("--log.level=debug");
    if (!options.web_config.empty()) {
      std::ofstream(dir_.file("web.yml")) << options.web_config;
      argv.push_back("--web.config.file=" + dir_.file("web.yml"));
    }
    process_ = std::make_unique<Process>(argv, dir_.file("am.out"), dir_.file("am.err"));
  }
  ~RealAlertmanager() {
    process_->signal(SIGKILL);
    process_->wait();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log_path() const { return dir_.file("am.err"); }
  std::string log() const { return read_file(log_path()); }

  // Polls GET /-/ready until 200 or the deadline.
  boost::asio::awaitable<bool> wait_ready(net::HttpClient& http, std::string authorization = "") {
    co_return co_await poll(
        http, "/-/ready", [](const net::HttpResponse& r) { return r.status == 200; },
        std::move(authorization));
  }

  // Polls GET /api/v2/status until the cluster is ready with `peers` members
  // (itself included) or the deadline.
  boost::asio::awaitable<bool> wait_clustered(net::HttpClient& http, std::size_t peers) {
    co_return co_await poll(http, "/api/v2/status", [peers](const net::HttpResponse& r) {
      boost::system::error_code ec;
      const auto v = boost::json::parse(r.body, ec);
      if (ec || r.status != 200 || !v.is_object()) return false;
      const auto* cluster = v.as_object().if_contains("cluster");
      if (!cluster || !cluster->is_object()) return false;
      const auto* status = cluster->as_object().if_contains("status");
      const auto* members = cluster->as_object().if_contains("peers");
      return status && status->is_string() && status->as_string() == "ready" && members &&
             members->is_array() && members->as_array().size() == peers;
    });
  }

  boost::asio::awaitable<boost::json::array> active_alerts(net::HttpClient& http,
                                                           std::string authorization = "") {
    auto res = co_await get(http, "/api/v2/alerts", std::move(authorization));
    if (!res || res->status != 200) co_return boost::json::array();
    co_return boost::json::parse(res->body).as_array();
  }

  // POSTs `alerts` to /api/v2/alerts, as a client of Alertmanager does; true on 200.
  boost::asio::awaitable<bool> post_alerts(net::HttpClient& http, boost::json::array alerts) {
    net::HttpRequest req;
    req.method = "POST";
    req.url = base_url() + "/api/v2/alerts";
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = boost::json::serialize(alerts);
    auto res = co_await http.send(std::move(req));
    co_return res && res->status == 200;
  }

  // The value of one series of /metrics, written as it appears there
  // (`alertmanager_peer_position`, `name{label="value"}`), or nullopt.
  boost::asio::awaitable<std::optional<double>> metric(net::HttpClient& http, std::string series) {
    auto res = co_await get(http, "/metrics");
    if (!res || res->status != 200) co_return std::nullopt;
    std::istringstream lines(res->body);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
        co_return std::stod(line.substr(series.size() + 1));
      }
    }
    co_return std::nullopt;
  }

 private:
  boost::asio::awaitable<boost::system::result<net::HttpResponse>> get(
      net::HttpClient& http, std::string path, std::string authorization = "") {
    net::HttpRequest req;
    req.method = "GET";
    req.url = base_url() + path;
    req.timeout = std::chrono::seconds(2);
    if (!authorization.empty()) req.headers.push_back({"Authorization", authorization});
    co_return co_await http.send(std::move(req));
  }

  // GETs `path` every 100 ms until `done(response)` or 20 s have passed:
  // Alertmanager is a separate process, so there is no event of ours to wait on.
  template <class Done>
  boost::asio::awaitable<bool> poll(net::HttpClient& http, std::string path, Done done,
                                    std::string authorization = "") {
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = co_await get(http, path, authorization);
      if (res && done(*res)) co_return true;
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
    co_return false;
  }

  TempDir dir_;
  std::uint16_t port_;
  std::unique_ptr<Process> process_;
};

// `n` Alertmanagers gossiping with one another on loopback, each with
// `options` (their ports and peers are chosen here). Each is told of all the
// others, so the cluster forms whichever starts first.
inline std::vector<std::unique_ptr<RealAlertmanager>> alertmanager_cluster(
    std::size_t n, const AlertmanagerOptions& options) {
  const auto ports = free_ports(2 * n);
  std::vector<std::unique_ptr<RealAlertmanager>> cluster;
  for (std::size_t i = 0; i < n; ++i) {
    AlertmanagerOptions o = options;
    o.web_port = ports[i];
    o.cluster_port = ports[n + i];
    o.peers.clear();
    for (std::size_t j = 0; j < n; ++j) {
      if (j != i) o.peers.push_back(ports[n + j]);
    }
    cluster.push_back(std::make_unique<RealAlertmanager>(o));
  }
  return cluster;
}

// The alert of that alertname among `alerts`, or nullptr.
inline const boost::json::value* find_alert(const boost::json::array& alerts,
                                            std::string_view alertname) {
  for (const auto& a : alerts) {
    const auto& name = a.at("labels").at("alertname");
    if (name.is_string() && name.as_string() == alertname) return &a;
  }
  return nullptr;
}

}  // namespace omswatch::testing
