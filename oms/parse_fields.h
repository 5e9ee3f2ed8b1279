#pragma once
// The pieces the OMS reply parsers share (parse.cpp, parse_steps.cpp): field
// lookup, the tolerant readers of texts, numbers, booleans and checkpoints,
// and the envelope. Private to the oms module; the tolerance they implement
// is described in parse.h.

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "oms/model.h"

namespace omswatch::oms::parse_detail {
namespace json = boost::json;

// A reply nests three or four levels deep; anything much deeper is hostile or broken.
constexpr std::size_t kMaxDepth = 32;
// Enough for any id, enumeration or error message OMS writes; a longer text is
// cut so that one reply cannot flood the history, the logs or an alert.
constexpr std::size_t kMaxText = 4096;

// "null", "a number", "an object"...: a JSON value's kind in a message.
const char* kind_name(json::kind k);
// The value of `key` in `o`, matched case-insensitively (an exact match is
// tried first). Null counts as absent.
const json::value* field(const json::object& o, std::string_view key);
// The first of `keys` present in `o`.
const json::value* first_field(const json::object& o, std::initializer_list<std::string_view> keys);
// At most kMaxText bytes of `s` ("..." marks a cut), invalid UTF-8 replaced with U+FFFD.
std::string clean_text(std::string_view s);
// A string field: strings as sent (cleaned), numbers and booleans as their JSON text, else empty.
std::string text_of(const json::value* v);
// A finite number, also when sent as a string.
std::optional<double> number_of(const json::value* v);
// An integer, also when sent as a string; exact for every int64. Fractions are not integers.
std::optional<std::int64_t> int64_of(const json::value* v);
std::optional<int> int_of(const json::value* v);
// A percentage bounded to 0..100, fractions rounded down.
std::optional<int> progress_of(const json::value* v);
// true/false, 1/0, "true"/"false" (any case), "1"/"0".
std::optional<bool> bool_of(const json::value* v);
// A whole number in decimal, with an optional leading '-'.
bool is_decimal_integer(std::string_view s);
// Unix seconds from a number of seconds, or of milli-, micro- or nanoseconds
// (values past the year 5138); nullopt for zero, negative values and times
// outside common/time.h's range.
std::optional<std::int64_t> checkpoint_seconds(std::int64_t n);
Checkpoint checkpoint_of(const json::value* v);
// Parses one JSON text. `what` names it in the message ("reply", "data").
// The values live in `storage` (the default heap when null).
Expected<json::value> parse_json(std::string_view text, std::string_view what,
                                 json::storage_ptr storage = {});
// The envelope's failure fields, errorDetail folded in where the top-level ones are absent.
ApiError api_error_from(const json::object& env, const json::value* detail);
// The reply's `data`: the value itself, or the JSON held in a string (parsed
// into `embedded`). Null when absent, null or an empty string.
Expected<const json::value*> data_of(const json::object& env, json::value& embedded);
// "data is an array, expected an object".
Error wrong_kind(std::string_view where, const json::value& v, std::string_view expected);
// A list in `data`: the array itself, or the first array under one of `keys`
// when OMS wraps it in an object (then `wrapper` points at that object).
const json::array* list_in(const json::value& data, std::initializer_list<std::string_view> keys,
                           const json::object** wrapper);

// `parse_data(data, envelope)` reads `data` of a successful reply.
template <class T, class ParseData>
Expected<Reply<T>> parse_reply(std::string_view body, ParseData parse_data) {
  // A poll's reply is parsed, read into the model and dropped: its values
  // live in one arena, a local buffer first, so parsing allocates little.
  unsigned char arena[8192];
  json::monotonic_resource resource(arena, sizeof arena);
  json::storage_ptr storage(&resource);
  Expected<json::value> doc = parse_json(body, "reply", storage);
  if (!doc) return make_error(doc.error());
  if (!doc->is_object()) {
    return make_error(std::string("reply is ") + kind_name(doc->kind()) +
                      ", expected a JSON object");
  }
  const json::object& env = doc->get_object();
  const json::value* detail = field(env, "errorDetail");
  Reply<T> reply;
  reply.error = api_error_from(env, detail);
  reply.request_id = text_of(field(env, "requestId"));
  reply.cost = text_of(field(env, "cost"));

  json::value embedded(storage);
  Expected<const json::value*> data = data_of(env, embedded);
  if (!data) return make_error(data.error());

  // A reply without a usable `success` is judged by what it carries: an
  // error means failure, data without one means success.
  if (std::optional<bool> success = bool_of(field(env, "success"))) {
    reply.success = *success;
  } else {
    reply.success = reply.error.code.empty() && detail == nullptr && *data != nullptr;
  }
  // A failed call's data is not trusted, nor read.
  if (reply.success && *data) {
    Expected<T> parsed = parse_data(**data, env);
    if (!parsed) return make_error(parsed.error());
    reply.data = std::move(*parsed);
  }
  return reply;
}

}  // namespace omswatch::oms::parse_detail
