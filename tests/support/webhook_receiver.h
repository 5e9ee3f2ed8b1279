#pragma once
// A webhook receiver on 127.0.0.1 for tests: records every request and its
// events, answers with a status the test chooses, and lets the test wait for
// an event with a deadline.

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "net/http_server.h"
#include "tests/support/io.h"

namespace omswatch::testing {

struct Received {
  net::ServerRequest request;
  boost::json::object payload;
};

class WebhookReceiver {
 public:
  explicit WebhookReceiver(IoThread& io)
      : io_(io),
        server_(io.executor(),
                [this](net::ServerRequest r) -> boost::asio::awaitable<net::ServerResponse> {
                  Received got{r, {}};
                  boost::system::error_code ec;
                  auto v = boost::json::parse(r.body, ec);
                  if (!ec && v.is_object()) got.payload = v.as_object();
                  unsigned status = 200;
                  event_.update([&] {
                    status = status_;
                    if (status >= 200 && status < 300) received_.push_back(std::move(got));
                    ++attempts_;
                  });
                  co_return net::ServerResponse{status, "text/plain", {}, "ok", false};
                }) {
    io.invoke([&] { server_.listen("127.0.0.1", 0); });
  }
  ~WebhookReceiver() {
    io_.invoke([&] { server_.stop(); });
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hook"; }

  // Answer with `status` from now on (non-2xx replies are not recorded).
  void answer(unsigned status) {
    event_.update([&] { status_ = status; });
  }

  // Events of every accepted message so far, flattened.
  std::vector<boost::json::object> events() {
    std::lock_guard lock(event_.mutex());
    return events_locked();
  }
  std::vector<Received> requests() {
    std::lock_guard lock(event_.mutex());
    return received_;
  }

  // Accepted events of this kind, state and project ("" = any project).
  std::size_t count(const std::string& kind, const std::string& state,
                    const std::string& project = "") {
    std::lock_guard lock(event_.mutex());
    return count_locked(kind, state, project);
  }

  bool wait_for(const std::string& kind, const std::string& state, const std::string& project,
                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return event_.wait_for([&] { return count_locked(kind, state, project) > 0; }, timeout);
  }

  // Waits until `done(requests())` holds, for messages of any sender
  // (an Alertmanager's webhook, say).
  template <class Done>
  bool wait_until(Done done, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return event_.wait_for([&] { return done(std::as_const(received_)); }, timeout);
  }

  // Waits for `n` requests (accepted or not) in total.
  bool wait_for_attempts(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return event_.wait_for([&] { return attempts_ >= n; }, timeout);
  }

 private:
  std::vector<boost::json::object> events_locked() {
    std::vector<boost::json::object> out;
    for (const auto& r : received_) {
      if (auto* list = r.payload.if_contains("events"); list && list->is_array()) {
        for (const auto& e : list->as_array()) out.push_back(e.as_object());
      }
    }
    return out;
  }

  std::size_t count_locked(const std::string& kind, const std::string& state,
                           const std::string& project) {
    std::size_t n = 0;
    for (const auto& e : events_locked()) {
      if (e.at("kind").as_string() == kind && e.at("state").as_string() == state &&
          (project.empty() || e.at("project_id").as_string() == project)) {
        ++n;
      }
    }
    return n;
  }

  IoThread& io_;
  net::HttpServer server_;
  Event event_;
  std::vector<Received> received_;
  unsigned status_ = 200;
  std::size_t attempts_ = 0;
};

}  // namespace omswatch::testing
