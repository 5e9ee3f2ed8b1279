#include "daemon/http_api.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <optional>
#include <string_view>

#include "common/ascii.h"
#include "common/percent.h"
#include "common/severity.h"
#include "config/duration.h"
#include "daemon/console_routes.h"
#include "daemon/http_api_request.h"
#include "daemon/http_api_writes.h"
#include "daemon/loop_end.h"
#include "daemon/metrics.h"
#include "daemon/rows.h"
#include "daemon/table.h"
#include "net/listen_address.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using api::BadRequest;
using api::error_response;
using api::json_response;
using api::json_text_response;
using api::Params;
using api::parse_path;
using api::parse_query;
using net::ServerRequest;
using net::ServerResponse;

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::chrono::hours kDefaultHistoryWindow{24};

// --- bearer token

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest sha256(std::string_view text) {
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d.data());
  return d;
}

// The digest a request's token is compared with; none without a token. The
// first hash loads OpenSSL's provider, megabytes a daemon without a token
// (listening on loopback) never needs.
Digest token_digest_of(const config::Secret& token) {
  return token.empty() ? Digest{} : sha256(token.reveal());
}

std::string time_text(storage::TimeMs ms) { return format_rfc3339(from_unix_ms(ms)); }

}  // namespace

struct HttpApi::Impl {
  Impl(asio::any_io_executor ex, Metrics& m, HealthCheck h, storage::Store& s, HttpApiOptions o)
      : executor(std::move(ex)),
        metrics(m),
        health(std::move(h)),
        store(s),
        options(std::move(o)),
        token_digest(token_digest_of(options.bearer_token)) {
    if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
  }

  asio::any_io_executor executor;
  Metrics& metrics;
  HealthCheck health;
  storage::Store& store;
  HttpApiOptions options;
  Digest token_digest;
  bool loopback_only = true;  // every address listened on is a loopback one
  std::unique_ptr<net::HttpServer> server;

  static asio::awaitable<ServerResponse> serve(Impl* self, ServerRequest request) {
    co_return self->respond(request);
  }

  // Constant time whatever the presented value: both sides are hashed first,
  // so neither a prefix nor the length of the token shows in the timing.
  bool authorized(const ServerRequest& request) const {
    if (options.bearer_token.empty()) return true;
    std::string_view value = trim_blanks(request.header("Authorization"));
    const std::size_t space = value.find_first_of(" \t");
    if (space == std::string_view::npos || !iequals(value.substr(0, space), "Bearer")) {
      return false;
    }
    const Digest presented = sha256(trim_blanks(value.substr(space + 1)));
    return CRYPTO_memcmp(presented.data(), token_digest.data(), presented.size()) == 0;
  }

  ServerResponse respond(const ServerRequest& request) {
    BadRequest bad;
    auto target = parse_path(request.target, bad);
    if (!target) return error_response(400, bad.message, bad.parameter);
    // The console's pages and files carry no data: served without the token.
    const bool console = is_console_route(target->segments);
    if (!console && target->raw_path != "/healthz" && !authorized(request)) {
      auto r = error_response(401, request.header("Authorization").empty()
                                       ? "this endpoint requires Authorization: Bearer <token>"
                                       : "the bearer token is not valid");
      r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"omswatch\""});
      return r;
    }
    const auto& seg = target->segments;
    enum class Route {
      metrics,
      healthz,
      projects,
      history,
      events,
      conditions,
      acks,
      ack_remove,
      silences,
      silence_expire,
      console,
      none
    } route = console ? Route::console : Route::none;
    if (seg.size() == 1 && seg[0] == "metrics") route = Route::metrics;
    if (seg.size() == 1 && seg[0] == "healthz") route = Route::healthz;
    if (seg.size() >= 3 && seg[0] == "api" && seg[1] == "v1") {
      if (seg.size() == 3 && seg[2] == "projects") route = Route::projects;
      if (seg.size() == 3 && seg[2] == "events") route = Route::events;
      if (seg.size() == 3 && seg[2] == "conditions") route = Route::conditions;
      if (seg.size() == 3 && seg[2] == "acks") route = Route::acks;
      if (seg.size() == 3 && seg[2] == "silences") route = Route::silences;
      if (seg.size() == 5 && seg[2] == "projects" && !seg[3].empty() && seg[4] == "history") {
        route = Route::history;
      }
      if (seg.size() == 5 && seg[2] == "acks" && seg[4] == "remove") route = Route::ack_remove;
      if (seg.size() == 5 && seg[2] == "silences" && seg[4] == "expire") {
        route = Route::silence_expire;
      }
    }
    if (route == Route::none) return error_response(404, "no such endpoint");
    // Acks and silences are also written (POST); the rest is read only.
    const bool listed = route == Route::acks || route == Route::silences;
    const bool post_only = route == Route::ack_remove || route == Route::silence_expire;
    const bool read = request.method == "GET" || request.method == "HEAD";
    const bool write = request.method == "POST" && (listed || post_only);
    if ((!read || post_only) && !write) {
      const char* allow = post_only ? "POST" : listed ? "GET, HEAD, POST" : "GET, HEAD";
      auto r = error_response(
          405, std::string("only ") + allow + " " + (post_only ? "is" : "are") + " allowed");
      r.headers.push_back({"Allow", allow});
      return r;
    }
    if (write) {
      if (auto refused = api::write_refusal(request)) {
        spdlog::warn("HTTP API: {} {} refused: {}", request.method, target->raw_path,
                     refused->message);
        return error_response(refused->status, refused->message);
      }
    }
    // A database that cannot be read answers 503, whichever endpoint read it.
    auto answer = [&](Expected<ServerResponse> r) {
      if (r) return std::move(*r);
      spdlog::warn("HTTP API: {} {}: database error: {}", request.method, target->raw_path,
                   r.error());
      return error_response(503, "the database cannot be read now: " + r.error());
    };
    try {
      switch (route) {
        case Route::metrics: {
          ServerResponse r;
          r.content_type = kMetricsContentType;
          r.body = metrics.render();
          return r;
        }
        case Route::healthz:
          return healthz();
        case Route::projects:
          return answer(projects(target->query));
        case Route::history:
          return answer(history(seg[3], target->query));
        case Route::events:
          return answer(events(target->query));
        case Route::conditions:
          return answer(conditions(target->query));
        case Route::console:
          return console_response(request, seg);
        case Route::acks:
          if (write) return api::create_ack(store, options.clock(), request.body);
          return answer(api::list_acks(store, target->query));
        case Route::ack_remove:
          return api::remove_ack(store, options.clock(), seg[3], request.body);
        case Route::silences:
          if (write) return api::create_silence(store, options.clock(), request.body);
          return answer(api::list_silences(store, options.clock(), target->query));
        case Route::silence_expire:
          return api::expire_silence(store, options.clock(), seg[3], request.body);
        case Route::none:
          break;
      }
    } catch (const std::exception& e) {
      spdlog::error("HTTP API: {} {} failed: {}", request.method, target->raw_path, e.what());
      return error_response(500, "internal error");
    }
    return error_response(404, "no such endpoint");
  }

  ServerResponse healthz() {
    HealthReport report = health ? health() : HealthReport{};
    json::object o;
    o["status"] = report.ok ? "ok" : "failing";
    json::array reasons;
    for (auto& r : report.reasons) reasons.emplace_back(std::move(r));
    o["reasons"] = std::move(reasons);
    return json_response(report.ok ? 200 : 503, o);
  }

  // projects, history and events: an error when the database cannot be read.
  Expected<ServerResponse> projects(std::string_view query) {
    BadRequest bad;
    if (!parse_query(query, {}, bad)) return error_response(400, bad.message, bad.parameter);
    // Written directly (the same bytes as json_response() of json::objects): building 10,000
    // json::objects first costs more than the query.
    const auto read = store.latest_status();
    if (!read) return make_error(read.error());
    const std::vector<storage::ProjectStatus>& rows = *read;
    ServerResponse r = json_text_response();
    r.body.reserve(64 + rows.size() * 300);
    r.body += "{\"projects\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i > 0) r.body += ',';
      append_status_json(r.body, rows[i]);
    }
    r.body += "]}\n";
    return r;
  }

  struct Window {
    std::optional<storage::TimeMs> since;
    std::optional<storage::TimeMs> until;
    int limit = kDefaultLimit;
  };

  // since, until and limit, shared by history and events.
  std::optional<Window> read_window(const Params& params, BadRequest& bad) {
    Window w;
    const SystemTime now = options.clock();
    for (auto [name, bound] : {std::pair{"since", &w.since}, std::pair{"until", &w.until}}) {
      auto it = params.find(std::string_view(name));
      if (it == params.end()) continue;
      auto t = parse_time_text(it->second, now);
      if (!t) {
        bad = {t.error(), name};
        return std::nullopt;
      }
      *bound = to_unix_ms(*t);
    }
    if (w.since && w.until && *w.since >= *w.until) {
      bad = {"must be earlier than until", "since"};
      return std::nullopt;
    }
    if (auto it = params.find(std::string_view("limit")); it != params.end()) {
      const std::string& text = it->second;
      int value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (!all_digits(text) || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
          value > kMaxLimit) {
        bad = {"must be a whole number from 1 to " + std::to_string(kMaxLimit), "limit"};
        return std::nullopt;
      }
      w.limit = value;
    }
    return w;
  }

  Expected<ServerResponse> history(const std::string& project_id, std::string_view query) {
    BadRequest bad;
    auto params = parse_query(query, {"since", "until", "limit"}, bad);
    if (!params) return error_response(400, bad.message, bad.parameter);
    auto w = read_window(*params, bad);
    if (!w) return error_response(400, bad.message, bad.parameter);
    if (!w->since) {
      const SystemTime default_since = options.clock() - kDefaultHistoryWindow;
      w->since = to_unix_ms(default_since);
      if (w->until && *w->since >= *w->until) {
        return error_response(400, "until is more than 24h ago; give since as well", "until");
      }
    }
    // One more than asked tells whether older samples were left out.
    auto read = store.history(project_id, w->since, w->until, w->limit + 1);
    if (!read) return make_error(read.error());
    const std::vector<storage::Sample>& samples = *read;
    const bool truncated = samples.size() > static_cast<std::size_t>(w->limit);
    // Rows written as `omswatch history --format json` writes them (daemon/rows.h).
    ServerResponse r = json_text_response();
    r.body += "{\"project_id\":";
    append_json_string(r.body, project_id);
    r.body += ",\"since\":";
    append_json_string(r.body, time_text(*w->since));
    r.body += ",\"until\":";
    if (w->until) {
      append_json_string(r.body, time_text(*w->until));
    } else {
      r.body += "null";
    }
    r.body += truncated ? ",\"truncated\":true" : ",\"truncated\":false";
    r.body += ",\"samples\":[";
    const Table shape = sample_table();
    for (std::size_t i = truncated ? 1 : 0; i < samples.size(); ++i) {
      if (r.body.back() != '[') r.body += ',';
      append_json_row(r.body, shape.columns, sample_cells(samples[i]));
    }
    // The full transfer and verification readings of the same window, as
    // `omswatch history ID --steps --format json` writes them.
    auto steps = store.step_history(project_id, w->since, w->until, w->limit + 1);
    if (!steps) return make_error(steps.error());
    const bool steps_truncated = steps->size() > static_cast<std::size_t>(w->limit);
    r.body += steps_truncated ? "],\"steps_truncated\":true" : "],\"steps_truncated\":false";
    r.body += ",\"steps\":[";
    const Table step_shape = step_table();
    for (std::size_t i = steps_truncated ? 1 : 0; i < steps->size(); ++i) {
      if (r.body.back() != '[') r.body += ',';
      append_json_row(r.body, step_shape.columns, step_cells((*steps)[i]));
    }
    r.body += "]}\n";
    return r;
  }

  Expected<ServerResponse> events(std::string_view query) {
    BadRequest bad;
    auto params =
        parse_query(query, {"project", "kind", "severity", "since", "until", "limit"}, bad);
    if (!params) return error_response(400, bad.message, bad.parameter);
    auto w = read_window(*params, bad);
    if (!w) return error_response(400, bad.message, bad.parameter);
    storage::EventFilter f;
    auto get = [&](std::string_view name) {
      auto it = params->find(name);
      return it == params->end() ? std::string() : it->second;
    };
    f.project_id = get("project");
    f.kind = get("kind");
    f.min_severity = get("severity");
    if (!f.min_severity.empty() && !parse_severity(f.min_severity)) {
      return error_response(400, "must be info, warning or critical (the least severity shown)",
                            "severity");
    }
    f.since = w->since;
    f.until = w->until;
    f.limit = w->limit + 1;
    auto read = store.events(f);
    if (!read) return make_error(read.error());
    std::vector<storage::EventWithDeliveries>& found = *read;
    const bool truncated = found.size() > static_cast<std::size_t>(w->limit);
    if (truncated) found.resize(static_cast<std::size_t>(w->limit));
    // Rows written as `omswatch events --format json` writes them (daemon/rows.h).
    ServerResponse r = json_text_response();
    r.body += truncated ? "{\"truncated\":true" : "{\"truncated\":false";
    r.body += ",\"events\":[";
    const Table shape = event_table();
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (i) r.body += ',';
      append_json_row(r.body, shape.columns, event_cells(found[i]));
    }
    r.body += "]}\n";
    return r;
  }

  Expected<ServerResponse> conditions(std::string_view query) {
    BadRequest bad;
    if (!parse_query(query, {}, bad)) return error_response(400, bad.message, bad.parameter);
    auto read = store.open_conditions();
    if (!read) return make_error(read.error());
    ServerResponse r = json_text_response();
    r.body += "{\"conditions\":[";
    const Table shape = condition_table();
    for (std::size_t i = 0; i < read->size(); ++i) {
      if (i) r.body += ',';
      append_json_row(r.body, shape.columns, condition_cells((*read)[i]));
    }
    r.body += "]}\n";
    return r;
  }

  Expected<void> start() {
    const std::string& listen = options.listen;
    auto where = net::split_listen(listen);
    if (!where) {
      return make_error("daemon.listen '" + listen +
                        "' is not host:port (IPv6: [::1]:9187; \"\" turns the endpoint off)");
    }
    if (!net::is_token_text(options.bearer_token.reveal())) {
      return make_error("the API token must be printable ASCII without spaces");
    }
    // Resolved here, once, so that the address checked is the one bound (the
    // configuration check resolves the same way).
    auto resolved = net::resolve_listen_host(where->host);
    if (!resolved) {
      return make_error("daemon.listen " + listen + ": cannot resolve '" + where->host +
                        "': " + resolved.error());
    }
    const std::vector<asio::ip::address>& addresses = *resolved;
    const bool loopback = std::all_of(addresses.begin(), addresses.end(), net::is_loopback);
    loopback_only = loopback;
    if (!loopback && options.bearer_token.empty()) {
      return make_error("daemon.listen " + listen +
                        " is not a loopback address and no API token is set: anyone who can "
                        "reach it could read the projects' history. Set daemon.api_token (or "
                        "daemon.api_token_file), or listen on 127.0.0.1");
    }
    net::HttpServerOptions server_options;
    server_options.max_request_bytes = options.max_request_bytes;
    server_options.read_timeout = options.read_timeout;
    server_options.max_connections = options.max_connections;
    server_options.on_accept_loop_end = log_loop_end("accept loop of the HTTP endpoint");
    Impl* self = this;
    auto candidate = std::make_unique<net::HttpServer>(
        executor, [self](ServerRequest r) { return serve(self, std::move(r)); }, server_options);
    try {
      candidate->listen(addresses.front().to_string(), where->port);
    } catch (const boost::system::system_error& e) {
      return make_error("daemon.listen " + listen + ": cannot listen: " + e.code().message());
    }
    server = std::move(candidate);
    spdlog::info("HTTP endpoint on {}:{} (metrics, health, JSON API){}",
                 addresses.front().is_v6() ? "[" + addresses.front().to_string() + "]"
                                           : addresses.front().to_string(),
                 server->port(), options.bearer_token.empty() ? "" : ", bearer token required");
    return {};
  }
};

HttpApi::HttpApi(asio::any_io_executor executor, Metrics& metrics, HealthCheck health,
                 storage::Store& store, HttpApiOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), metrics, std::move(health), store,
                                   std::move(options))) {}

HttpApi::~HttpApi() { stop(); }

Expected<void> HttpApi::start() {
  if (impl_->server) return make_error("the HTTP endpoint is already started");
  return impl_->start();
}

void HttpApi::stop() {
  // Synchronous, so that no request reaches respond() once this returns: the
  // server checks for stop() before it calls the handler.
  if (impl_->server) impl_->server->stop();
}

Expected<void> HttpApi::set_bearer_token(const config::Secret& token) {
  if (!net::is_token_text(token.reveal())) {
    return make_error("the API token must be printable ASCII without spaces");
  }
  if (token.empty() && !impl_->loopback_only) {
    return make_error("daemon.listen " + impl_->options.listen +
                      " is not a loopback address: the API token cannot be removed");
  }
  impl_->options.bearer_token = token;
  impl_->token_digest = token_digest_of(token);
  return {};
}

std::uint16_t HttpApi::port() const { return impl_->server ? impl_->server->port() : 0; }

net::ServerResponse HttpApi::respond(const net::ServerRequest& request) {
  return impl_->respond(request);
}

}  // namespace omswatch::daemon
