#pragma once
// How the HTTP API (daemon/http_api.cpp, daemon/http_api_writes.cpp) reads a
// request's target and query, and writes its JSON answers and errors.

#include <boost/json/value.hpp>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"

namespace omswatch::daemon::api {

// A JSON response (Cache-Control: no-store) whose body the caller writes.
net::ServerResponse json_text_response(unsigned status = 200);
// `body` serialized, with a newline.
net::ServerResponse json_response(unsigned status, const boost::json::value& body);
// {"error": message} and, when given, "parameter": the query parameter (or
// body field) it is about.
net::ServerResponse error_response(unsigned status, std::string message,
                                   std::string parameter = "");

// A failure to read the request, phrased for the client: what is wrong and where.
struct BadRequest {
  std::string message;
  std::string parameter;
};

struct Target {
  std::string raw_path;
  std::vector<std::string> segments;  // decoded, between the slashes
  std::string_view query;
};

using Params = std::map<std::string, std::string, std::less<>>;

// The path of `target`, split into its decoded segments, and its query.
std::optional<Target> parse_path(std::string_view target, BadRequest& error);

// The query's parameters; each at most once and among `allowed`. Empty values
// count as absent, so "?project=&kind=" asks for no filter.
std::optional<Params> parse_query(std::string_view query,
                                  std::initializer_list<std::string_view> allowed,
                                  BadRequest& error);

}  // namespace omswatch::daemon::api
