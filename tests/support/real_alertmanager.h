#pragma once
// A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a
// loopback port, for tests of the alertmanager receiver and of
// `omswatch notify-test`: its own configuration and storage in a temporary
// directory, clustering off, killed when the object goes away.

#include <signal.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "tests/support/free_port.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch::testing {

inline constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

class RealAlertmanager {
 public:
  // `web_config`: the contents of --web.config.file (basic auth), or "".
  explicit RealAlertmanager(const std::string& web_config = "") : port_(free_port()) {
    std::ofstream(dir_.file("alertmanager.yml")) << "route:\n  receiver: blackhole\n"
                                                    "receivers:\n  - name: blackhole\n";
    std::vector<std::string> argv = {
        kAlertmanager, "--config.file=" + dir_.file("alertmanager.yml"),
        "--storage.path=" + dir_.file("data"),
        "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="};
    if (!web_config.empty()) {
      std::ofstream(dir_.file("web.yml")) << web_config;
      argv.push_back("--web.config.file=" + dir_.file("web.yml"));
    }
    process_ = std::make_unique<Process>(argv, dir_.file("am.out"), dir_.file("am.err"));
  }
  ~RealAlertmanager() {
    process_->signal(SIGKILL);
    process_->wait();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read_file(dir_.file("am.err")); }

  // Polls GET /-/ready until 200 or the deadline: Alertmanager is a separate
  // process, so there is no event of ours to wait on.
  boost::asio::awaitable<bool> wait_ready(net::HttpClient& http, std::string authorization = "") {
    boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      net::HttpRequest req;
      req.method = "GET";
      req.url = base_url() + "/-/ready";
      req.timeout = std::chrono::seconds(2);
      if (!authorization.empty()) req.headers.push_back({"Authorization", authorization});
      auto res = co_await http.send(std::move(req));
      if (res && res->status == 200) co_return true;
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(boost::asio::use_awaitable);
    }
    co_return false;
  }

  boost::asio::awaitable<boost::json::array> active_alerts(net::HttpClient& http,
                                                           std::string authorization = "") {
    net::HttpRequest req;
    req.method = "GET";
    req.url = base_url() + "/api/v2/alerts";
    if (!authorization.empty()) req.headers.push_back({"Authorization", authorization});
    auto res = co_await http.send(std::move(req));
    if (!res || res->status != 200) co_return boost::json::array();
    co_return boost::json::parse(res->body).as_array();
  }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::unique_ptr<Process> process_;
};

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
