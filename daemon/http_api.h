#pragma once
// The daemon's HTTP endpoint (docs/http-api.md): Prometheus metrics, a health
// check, JSON queries of the history (the same data as the CLI's status,
// history and events commands), and the acks and silences, read and written.
//
//   GET /metrics                          text/plain; version=0.0.4
//   GET /healthz                          200 {"status":"ok"} or 503 with the reasons
//   GET /api/v1/projects                  the latest status of every project
//   GET /api/v1/projects/{id}/history     ?since=&until=&limit=
//   GET /api/v1/events                    ?project=&kind=&severity=&since=&until=&limit=
//   GET /api/v1/conditions                the conditions firing now, since when
//   GET, POST /api/v1/acks, /api/v1/silences; POST /api/v1/acks/{id}/remove,
//   /api/v1/silences/{id}/expire            (daemon/http_api_writes.h)
//   GET /, /projects/{id}, /events, /assets/{name}
//                                         the web console (daemon/console_routes.h)
//
// HEAD is answered like GET; POST is taken by the acks and silences paths
// only, and only as write_refusal() allows; other methods get 405, unknown
// paths 404, bad query parameters 400 with a JSON body naming the parameter.
// With a bearer token every endpoint but /healthz and the console requires
// `Authorization: Bearer <token>`; without one the endpoint only listens on
// loopback addresses.
//
// Runs on the daemon's executor and reads the daemon's own store on that
// thread: not thread-safe, like the store.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/defaults.h"
#include "common/expected.h"
#include "common/time.h"
#include "config/config.h"
#include "net/http_server.h"

namespace omswatch::storage {
class Store;
}

namespace omswatch::daemon {

class Metrics;

// What /healthz reports: ok, or the reasons it is not ("database write failed
// 3 times in a row", "OMS prod unreachable for 5m"...), each a short sentence
// without secrets.
struct HealthReport {
  bool ok = true;
  std::vector<std::string> reasons;
};
using HealthCheck = std::function<HealthReport()>;

struct HttpApiOptions {
  // "host:port" or "[v6]:port"; port 0 picks a free one. A host name is
  // resolved once, at start().
  std::string listen = defaults::kListen;
  // Empty: no authentication, and start() refuses any address that is not
  // loopback. Printable ASCII without spaces (a header must carry it).
  config::Secret bearer_token;
  std::size_t max_request_bytes = 16 * 1024;  // header and body; more: 413
  std::chrono::seconds read_timeout{10};      // per request, idle keep-alive included
  std::size_t max_connections = 64;
  // "24h" in since/until, and the default window of history, count back from
  // this clock; the system clock when empty.
  std::function<SystemTime()> clock;
};

class HttpApi {
 public:
  // Bounds of the `limit` parameter.
  static constexpr int kDefaultLimit = 1000;
  static constexpr int kMaxLimit = 10'000;

  // `metrics`, `health` and `store` are used on each request and must outlive
  // the HttpApi. Nothing is bound until start().
  HttpApi(boost::asio::any_io_executor executor, Metrics& metrics, HealthCheck health,
          storage::Store& store, HttpApiOptions options);
  // REQUIRES: on the executor's thread, or while no thread runs it.
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Checks the options and starts listening. Errors say what is wrong with
  // which setting ("daemon.listen ... is not a loopback address ..."), or why
  // the address cannot be bound. Never mentions the token itself.
  Expected<void> start();
  // Closes the listener and every connection. Safe to call more than once.
  void stop();
  // Puts `token` in force for every request from now on (a reload): the old
  // one is refused at once; an empty one opens the endpoint, which is refused
  // (with the reason) when it listens beyond loopback, as is a token that is
  // not printable ASCII without spaces. Never mentions the token itself.
  Expected<void> set_bearer_token(const config::Secret& token);
  // The bound port (after a successful start()).
  std::uint16_t port() const;

  // The answer to one request, without a socket (what the server calls).
  net::ServerResponse respond(const net::ServerRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omswatch::daemon
