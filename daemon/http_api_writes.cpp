#include "daemon/http_api_writes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <variant>

#include "common/ascii.h"
#include "daemon/action_rows.h"
#include "daemon/deliver/acks.h"
#include "daemon/http_api_request.h"
#include "daemon/silence_request.h"
#include "storage/store.h"

namespace omswatch::daemon::api {
namespace {

namespace json = boost::json;
using deliver::FieldError;
using net::ServerResponse;

// {"error": message, "field": field}.
ServerResponse field_error(unsigned status, const std::string& message, const std::string& field) {
  json::object o;
  o["error"] = message;
  if (!field.empty()) o["field"] = field;
  return json_response(status, o);
}

ServerResponse write_failed(const std::string& what, const std::string& error) {
  spdlog::warn("HTTP API: cannot {}: {}", what, error);
  return error_response(503, "the database cannot be written now: " + error);
}

using Fields = std::map<std::string, std::string, std::less<>>;

// The body as a JSON object of strings, each field among `allowed` (null
// counts as absent); an empty body is an empty object.
std::variant<Fields, FieldError> read_fields(const std::string& body,
                                             std::initializer_list<std::string_view> allowed) {
  Fields fields;
  if (trim_blanks(body).empty()) return fields;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return FieldError{"", "the body must be a JSON object"};
  for (const auto& [key, value] : v.as_object()) {
    const std::string name(key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return FieldError{name.size() > 64 ? name.substr(0, 64) : name,
                        "unknown field; this request takes " + (list.empty() ? "none" : list)};
    }
    if (value.is_null()) continue;
    if (!value.is_string()) return FieldError{name, "must be a string"};
    fields.emplace(name, std::string(value.as_string()));
  }
  return fields;
}

std::string get(const Fields& fields, std::string_view name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::optional<std::int64_t> parse_id(const std::string& text) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (!all_digits(text) || ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return std::nullopt;
  }
  return id;
}

// ?all=true|false
std::optional<bool> read_all(std::string_view query, BadRequest& bad) {
  auto params = parse_query(query, {"all"}, bad);
  if (!params) return std::nullopt;
  const std::string all = params->count("all") ? params->find("all")->second : "false";
  if (all != "true" && all != "false") {
    bad = {"must be true or false", "all"};
    return std::nullopt;
  }
  return all == "true";
}

ServerResponse rows_response(unsigned status, const char* name, const Table& table) {
  ServerResponse r = json_text_response(status);
  r.body += "{\"";
  r.body += name;
  r.body += "\":[";
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    if (i) r.body += ',';
    append_json_row(r.body, table.columns, table.rows[i]);
  }
  r.body += "]}\n";
  return r;
}

// {"name": row}
ServerResponse row_response(unsigned status, const char* name, const Table& table) {
  ServerResponse r = json_text_response(status);
  r.body += "{\"";
  r.body += name;
  r.body += "\":";
  append_json_row(r.body, table.columns, table.rows.at(0));
  r.body += "}\n";
  return r;
}

}  // namespace

std::optional<Refusal> write_refusal(const net::ServerRequest& request) {
  std::string_view type = request.header("Content-Type");
  type = trim_blanks(type.substr(0, type.find(';')));
  if (!iequals(type, "application/json")) {
    return Refusal{415, "a write needs Content-Type: application/json"};
  }
  const std::string_view site = trim_blanks(request.header("Sec-Fetch-Site"));
  if (!site.empty() && !iequals(site, "same-origin") && !iequals(site, "none")) {
    return Refusal{403, "cross-site requests cannot write (Sec-Fetch-Site: " +
                            std::string(site.substr(0, 32)) + ")"};
  }
  const std::string_view origin = trim_blanks(request.header("Origin"));
  if (!origin.empty()) {
    const std::string host(trim_blanks(request.header("Host")));
    if (host.empty() ||
        (!iequals(origin, "http://" + host) && !iequals(origin, "https://" + host))) {
      return Refusal{403, "cross-site requests cannot write (Origin " +
                              std::string(origin.substr(0, 200)) + " is not this endpoint)"};
    }
  }
  return std::nullopt;
}

Expected<ServerResponse> list_acks(storage::Store& store, std::string_view query) {
  BadRequest bad;
  auto all = read_all(query, bad);
  if (!all) return error_response(400, bad.message, bad.parameter);
  auto acks = store.acks(*all);
  if (!acks) return make_error(acks.error());
  return rows_response(200, "acks", ack_table(*acks));
}

ServerResponse create_ack(storage::Store& store, SystemTime now, const std::string& body) {
  auto read = read_fields(body, {"oms", "project_id", "kind", "acked_by", "reason"});
  if (auto* bad = std::get_if<FieldError>(&read)) return field_error(400, bad->message, bad->field);
  const Fields& f = std::get<Fields>(read);
  storage::AckRequest r;
  r.oms = get(f, "oms");
  r.project_id = get(f, "project_id");
  r.kind = get(f, "kind");
  r.acked_by = get(f, "acked_by");
  r.reason = get(f, "reason");
  r.now = to_unix_ms(now);
  for (const auto& [name, value] : {std::pair{"project_id", &r.project_id}, {"kind", &r.kind}}) {
    if (value->empty()) return field_error(400, "is required", name);
    if (value->size() > 256) return field_error(400, "is longer than 256 bytes", name);
  }
  for (const auto& bad :
       {deliver::check_operator_text("acked_by", r.acked_by, deliver::kMaxAckedByBytes, true),
        deliver::check_operator_text("reason", r.reason, deliver::kMaxAckReasonBytes, false)}) {
    if (bad) return field_error(400, bad->message, bad->field);
  }
  auto added = store.add_ack(r);
  if (!added) return write_failed("store an ack", added.error());
  const std::string condition = r.kind + " of " + r.project_id;
  switch (added->outcome) {
    case storage::AckAdded::Outcome::added:
      spdlog::info("HTTP API: {} (OMS {}) acked by {} (ack {})", condition, added->ack.oms,
                   added->ack.acked_by, added->ack.id);
      return row_response(201, "ack", ack_table({added->ack}));
    case storage::AckAdded::Outcome::not_open:
      return field_error(409, condition + " is not firing now", "kind");
    case storage::AckAdded::Outcome::already_acked:
      return field_error(409,
                         condition + " is already acked by " + added->ack.acked_by + " (ack " +
                             std::to_string(added->ack.id) + "); remove that ack first",
                         "kind");
    case storage::AckAdded::Outcome::ambiguous: {
      std::string names;
      for (const auto& n : added->oms) names += (names.empty() ? "" : ", ") + n;
      return field_error(400, condition + " is firing in more than one OMS (" + names + ")", "oms");
    }
  }
  return error_response(500, "internal error");
}

ServerResponse remove_ack(storage::Store& store, SystemTime now, const std::string& id_text,
                          const std::string& body) {
  auto read = read_fields(body, {"removed_by"});
  if (auto* bad = std::get_if<FieldError>(&read)) return field_error(400, bad->message, bad->field);
  const auto id = parse_id(id_text);
  if (!id) return error_response(404, "no such ack");
  std::string by = get(std::get<Fields>(read), "removed_by");
  if (auto bad = deliver::check_operator_text("removed_by", by, deliver::kMaxAckedByBytes, false)) {
    return field_error(400, bad->message, bad->field);
  }
  if (by.empty()) by = "HTTP API";
  auto removed = store.remove_ack(*id, by, to_unix_ms(now));
  if (!removed) return write_failed("remove an ack", removed.error());
  if (!*removed) return error_response(404, "no ack in force has id " + id_text);
  spdlog::info("HTTP API: ack {} removed by {}", *id, by);
  json::object o{{"id", *id}, {"state", "removed"}};
  return json_response(200, o);
}

Expected<ServerResponse> list_silences(storage::Store& store, SystemTime now,
                                       std::string_view query) {
  BadRequest bad;
  auto all = read_all(query, bad);
  if (!all) return error_response(400, bad.message, bad.parameter);
  auto silences = store.silences(*all ? std::nullopt : std::optional(to_unix_ms(now)));
  if (!silences) return make_error(silences.error());
  return rows_response(200, "silences", silence_table(*silences));
}

ServerResponse create_silence(storage::Store& store, SystemTime now, const std::string& body) {
  auto read = read_fields(
      body, {"oms", "project_id", "kind", "duration", "starts", "comment", "created_by"});
  if (auto* bad = std::get_if<FieldError>(&read)) return field_error(400, bad->message, bad->field);
  const Fields& f = std::get<Fields>(read);
  SilenceSpec spec{get(f, "oms"),    get(f, "project_id"), get(f, "kind"),      get(f, "duration"),
                   get(f, "starts"), get(f, "comment"),    get(f, "created_by")};
  for (const auto& [name, value] :
       {std::pair{"oms", &spec.oms}, {"project_id", &spec.project_id}, {"kind", &spec.kind}}) {
    if (value->size() > 256) return field_error(400, "is longer than 256 bytes", name);
  }
  auto made = make_silence(spec, now, kApiSilenceFields);
  if (auto* bad = std::get_if<FieldError>(&made)) return field_error(400, bad->message, bad->field);
  storage::Silence x = std::get<storage::Silence>(made);
  auto id = store.add_silence(x);
  if (!id) return write_failed("store a silence", id.error());
  x.id = *id;
  spdlog::info("HTTP API: silence {} added by {} until {}", x.id, x.created_by,
               format_rfc3339(from_unix_ms(x.ends_at)));
  return row_response(201, "silence", silence_table({x}));
}

ServerResponse expire_silence(storage::Store& store, SystemTime now, const std::string& id_text,
                              const std::string& body) {
  auto read = read_fields(body, {});
  if (auto* bad = std::get_if<FieldError>(&read)) return field_error(400, bad->message, bad->field);
  const auto id = parse_id(id_text);
  if (!id) return error_response(404, "no such silence");
  auto expired = store.expire_silence(*id, to_unix_ms(now));
  if (!expired) return write_failed("expire a silence", expired.error());
  if (!*expired) return error_response(404, "no active silence has id " + id_text);
  spdlog::info("HTTP API: silence {} expired", *id);
  json::object o{{"id", *id}, {"state", "expired"}};
  return json_response(200, o);
}

}  // namespace omswatch::daemon::api
