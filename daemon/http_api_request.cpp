#include "daemon/http_api_request.h"

#include <algorithm>
#include <boost/json.hpp>

#include "common/percent.h"

namespace omswatch::daemon::api {

namespace json = boost::json;
using net::ServerResponse;

// A 200 JSON response whose body the caller writes.
ServerResponse json_text_response(unsigned status) {
  ServerResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

ServerResponse json_response(unsigned status, const json::value& body) {
  ServerResponse r = json_text_response(status);
  r.body = json::serialize(body);
  r.body += '\n';
  return r;
}

ServerResponse error_response(unsigned status, std::string message, std::string parameter) {
  json::object o;
  o["error"] = std::move(message);
  if (!parameter.empty()) o["parameter"] = std::move(parameter);
  return json_response(status, o);
}

// --- targets and parameters

std::optional<Target> parse_path(std::string_view target, BadRequest& error) {
  if (!target.starts_with('/')) {
    error = {"the request target must be a path starting with '/'", ""};
    return std::nullopt;
  }
  Target t;
  const std::size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) t.query = target.substr(q + 1);
  if (const std::size_t hash = t.query.find('#'); hash != std::string_view::npos) {
    t.query = t.query.substr(0, hash);
  }
  t.raw_path = std::string(path);
  path.remove_prefix(1);
  for (;;) {
    const std::size_t slash = path.find('/');
    auto segment = percent_decode_strict(path.substr(0, slash), false);
    if (!segment) {
      error = {"the path has an invalid percent-encoding", ""};
      return std::nullopt;
    }
    t.segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return t;
}

// The query's parameters; each at most once and among `allowed`. Empty values
// count as absent, so "?project=&kind=" asks for no filter.
std::optional<Params> parse_query(std::string_view query,
                                  std::initializer_list<std::string_view> allowed,
                                  BadRequest& error) {
  Params params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = percent_decode_strict(pair.substr(0, eq), true);
    auto value =
        percent_decode_strict(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name) {
      error = {"a query parameter name has an invalid percent-encoding", ""};
      return std::nullopt;
    }
    if (!value) {
      error = {"invalid percent-encoding in the value", *name};
      return std::nullopt;
    }
    if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error = {"unknown parameter; this endpoint takes " + (list.empty() ? "none" : list),
               name->size() > 64 ? name->substr(0, 64) : *name};
      return std::nullopt;
    }
    if (params.count(*name)) {
      error = {"given more than once", *name};
      return std::nullopt;
    }
    if (!value->empty()) params.emplace(std::move(*name), std::move(*value));
  }
  return params;
}

}  // namespace omswatch::daemon::api
