#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "oms/model.h"

namespace omswatch::net {
class HttpClient;
}

namespace omswatch::oms {

struct Endpoint {
  std::string name;      // the deployment's name in the config, for messages
  std::string base_url;  // "http://oms.example.internal:8089"
  std::string username;
  std::string password;  // sent as HTTP Basic; never logged
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_reply_bytes = 4 * 1024 * 1024;
};

// What one call brought back. Exactly one of: a transport failure (no reply,
// HTTP error status, a reply that is not the expected JSON) or a reply, which
// may itself say success:false.
template <class T>
struct CallResult {
  std::optional<std::string> transport_error;  // "timed out after 10s", "HTTP 502", "invalid JSON at offset 17"
  Reply<T> reply;
  // The reply's HTTP Date header, when present and valid: OMS's own clock.
  std::optional<std::chrono::system_clock::time_point> server_date;
  std::chrono::microseconds latency{0};
  bool ok() const { return !transport_error && reply.success; }
};

struct ListFilter {
  // MIGRATION, SYNC; empty: all. OMS filters on one type only, so with
  // several no type filter is sent (MIGRATION and SYNC are every type there is).
  std::vector<std::string> types;
  // At most 5: more is refused with a transport_error, without a request.
  std::vector<std::string> label_ids;
};

// The OMS OpenAPI (POST {base}/api/v2?Action=...). An interface so that tests
// of its callers can plug in their own.
class Client {
 public:
  virtual ~Client() = default;
  virtual boost::asio::awaitable<CallResult<ProjectProgress>> describe_progress(
      std::string project_id) = 0;
  virtual boost::asio::awaitable<CallResult<std::vector<ProjectStep>>> describe_steps(
      std::string project_id) = 0;
  virtual boost::asio::awaitable<CallResult<ProjectInfo>> describe_project(
      std::string project_id) = 0;
  // One page of a project's full verification results
  // (ListProjectFullVerifyResult; page_number from 1, below 1 read as 1;
  // page_size clamped to 1..150).
  virtual boost::asio::awaitable<CallResult<VerifyResult>> list_full_verify_result(
      std::string project_id, int page_number, int page_size) = 0;
  // One page (page_number from 1, page_size at most 150).
  virtual boost::asio::awaitable<CallResult<ProjectList>> list_projects(ListFilter filter,
                                                                        int page_number,
                                                                        int page_size) = 0;
};

// `http` must outlive the client; use the client on `http`'s executor. Calls
// never throw. A transport_error reads "timed out after 10s", "connection
// refused", "connection reset", "connection closed before a complete reply",
// "host not found", "reply larger than 4 MiB", "HTTP 502: <at most 200
// printable characters of the body>", "HTTP 401 (authentication failed: check
// the username and password)", or the parser's message ("invalid JSON at
// offset 17: ..."). None carries the password or the Authorization header:
// every text of a result (the transport error, a success:false reply's code,
// message and advice, the texts of its data but project ids) has the
// password, the Basic credentials and the secrets of the URL masked as "***"
// in each form common/redact.h knows, since OMS or a proxy in front of it
// may echo what it was sent.
std::unique_ptr<Client> make_client(net::HttpClient& http, Endpoint endpoint);

}  // namespace omswatch::oms
