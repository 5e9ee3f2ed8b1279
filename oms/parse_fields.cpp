#include "oms/parse_fields.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "common/ascii.h"
#include "common/time.h"

namespace omswatch::oms::parse_detail {

const char* kind_name(json::kind k) {
  switch (k) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

// The value of `key` in `o`, matched case-insensitively (an exact match is
// tried first: it is the common case and a hash lookup). Null counts as absent.
const json::value* field(const json::object& o, std::string_view key) {
  const json::value* found = nullptr;
  if (auto it = o.find(key); it != o.end()) {
    found = &it->value();
  } else {
    for (const auto& kv : o) {
      if (iequals(kv.key(), key)) {
        found = &kv.value();
        break;
      }
    }
  }
  return (found && !found->is_null()) ? found : nullptr;
}

const json::value* first_field(const json::object& o,
                               std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    if (const json::value* v = field(o, k)) return v;
  }
  return nullptr;
}

// Copies at most kMaxText bytes of `s`, replacing byte sequences that are not
// UTF-8 with U+FFFD, so that what OMS sent can go into JSON and logs as it is.
std::string clean_text(std::string_view s) {
  std::string out;
  out.reserve(std::min(s.size(), kMaxText));
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    }
    bool valid = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (valid && len >= 3) {
      // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
          (c == 0xF4 && c1 > 0x8F)) {
        valid = false;
      }
    }
    std::string_view piece = valid ? s.substr(i, len) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > kMaxText) {
      out += "...";
      break;
    }
    out += piece;
    i += valid ? len : 1;
  }
  return out;
}

// A string field: strings as sent, numbers and booleans as their JSON text
// (an enumeration sent as a number is still worth keeping), anything else empty.
std::string text_of(const json::value* v) {
  if (!v) return {};
  switch (v->kind()) {
    case json::kind::string:
      return clean_text(v->get_string());
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
    case json::kind::bool_:
      return json::serialize(*v);
    default:
      return {};
  }
}

// A number, also when sent as a string ("100", " 99.5 "). Non-finite values are not numbers.
std::optional<double> number_of(const json::value* v) {
  if (!v) return std::nullopt;
  double d = 0;
  switch (v->kind()) {
    case json::kind::int64:
      return static_cast<double>(v->get_int64());
    case json::kind::uint64:
      return static_cast<double>(v->get_uint64());
    case json::kind::double_:
      d = v->get_double();
      break;
    case json::kind::string: {
      std::string_view s = trim_space(v->get_string());
      if (s.empty()) return std::nullopt;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
      break;
    }
    default:
      return std::nullopt;
  }
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

// An integer, also when sent as a string; exact for every int64 (a double would
// round large values). Fractional values are not integers.
std::optional<std::int64_t> int64_of(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(v->get_uint64());
  }
  if (v->is_string()) {
    std::string_view s = trim_space(v->get_string());
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) return n;
  }
  std::optional<double> d = number_of(v);
  if (!d || std::trunc(*d) != *d || *d < -9.2e18 || *d > 9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}

std::optional<int> int_of(const json::value* v) {
  std::optional<std::int64_t> n = int64_of(v);
  if (!n || *n < std::numeric_limits<int>::min() || *n > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

// A percentage. Values outside 0..100 are bounded rather than dropped (a
// progress of 101 or -1 still says "done" or "not started"); fractions are
// rounded down so that 99.9 never reads as finished.
std::optional<int> progress_of(const json::value* v) {
  std::optional<double> d = number_of(v);
  if (!d) return std::nullopt;
  return static_cast<int>(std::clamp(std::floor(*d), 0.0, 100.0));
}

std::optional<bool> bool_of(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_int64() && (v->get_int64() == 0 || v->get_int64() == 1)) return v->get_int64() == 1;
  if (v->is_uint64() && v->get_uint64() <= 1) return v->get_uint64() == 1;
  if (v->is_string()) {
    std::string_view s = trim_space(v->get_string());
    if (iequals(s, "true") || s == "1") return true;
    if (iequals(s, "false") || s == "0") return false;
  }
  return std::nullopt;
}

// A whole number in decimal, with an optional leading '-'.
bool is_decimal_integer(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return all_digits(s);
}

// Seconds from a numeric checkpoint. Zero and negative values are kept raw but
// are no time (OMS has been seen to send 0 before incremental sync starts);
// values past the year 5138 are taken as milli-, micro- or nanoseconds. A
// time outside the range omswatch accepts (common/time.h: 1970 to 2199, such
// as the year 3000) is kept raw but is no time either: no lag is computed
// from it.
std::optional<std::int64_t> checkpoint_seconds(std::int64_t n) {
  if (n <= 0) return std::nullopt;
  while (n > 100'000'000'000) n /= 1000;
  if (!in_time_range(n * 1000)) return std::nullopt;
  return n;
}

Checkpoint checkpoint_of(const json::value* v) {
  Checkpoint cp;
  if (!v) return cp;
  if (v->is_string()) {
    std::string_view s = trim_space(v->get_string());
    if (s.empty()) return cp;
    cp.raw = clean_text(s);
    if (is_decimal_integer(s)) {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && end == s.data() + s.size()) cp.unix_seconds = checkpoint_seconds(n);
    }
    return cp;
  }
  if (v->is_int64() || v->is_uint64() || v->is_double()) {
    std::optional<double> d = number_of(v);
    if (!d) return cp;
    cp.raw = json::serialize(*v);
    if (std::optional<std::int64_t> n = int64_of(v)) {
      cp.unix_seconds = checkpoint_seconds(*n);
    } else if (*d > 0 && *d < 9.2e18) {
      cp.unix_seconds = checkpoint_seconds(static_cast<std::int64_t>(std::floor(*d)));
    }
  }
  return cp;
}

// Parses one JSON text. `what` names it in the message ("reply", "data").
// The values live in `storage` (the default heap when null).
Expected<json::value> parse_json(std::string_view text, std::string_view what,
                                 json::storage_ptr storage) {
  if (trim_space(text).empty()) return make_error(std::string(what) + " is empty, expected JSON");
  json::parse_options options;
  options.max_depth = kMaxDepth;
  // OMS error messages come from many sources; one stray byte should not hide
  // a whole reply. clean_text() repairs what is kept.
  options.allow_invalid_utf8 = true;
  // The parser's own stack starts in a local buffer: most replies need no
  // allocation for it.
  unsigned char stack[2048];
  json::parser parser(json::storage_ptr(), options, stack, sizeof stack);
  parser.reset(std::move(storage));
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) {
    std::string message = ec.message();
    if (ec == json::error::too_deep) {
      message = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
    } else if (ec == json::error::extra_data) {
      message = "unexpected data after the JSON value";
    }
    return make_error("invalid JSON at offset " + std::to_string(consumed) +
                      (what == "reply" ? "" : " of " + std::string(what)) + ": " + message);
  }
  return parser.release();
}

// The envelope's failure fields, errorDetail folded in where the top-level ones are absent.
ApiError api_error_from(const json::object& env, const json::value* detail) {
  ApiError error;
  error.code = text_of(field(env, "code"));
  error.message = text_of(field(env, "message"));
  error.advice = text_of(field(env, "advice"));
  if (detail && detail->is_object()) {
    const json::object& d = detail->get_object();
    if (error.code.empty()) error.code = text_of(field(d, "code"));
    if (error.message.empty()) {
      error.message = text_of(field(d, "message"));
      std::string reason = text_of(field(d, "reason"));
      if (error.message.empty()) {
        error.message = std::move(reason);
      } else if (!reason.empty() && reason != error.message) {
        error.message += " (" + reason + ")";
      }
    }
    if (error.advice.empty()) error.advice = text_of(field(d, "proposal"));
  } else if (detail && error.message.empty()) {
    error.message = text_of(detail);
  }
  return error;
}

// The reply's `data`: the value itself, or, since the reference documents it
// as a string, the JSON held in a string (parsed into `embedded`). Null when
// absent, null or an empty string.
Expected<const json::value*> data_of(const json::object& env, json::value& embedded) {
  const json::value* data = field(env, "data");
  if (!data || !data->is_string()) return data;
  std::string_view inner = trim_space(data->get_string());
  if (inner.empty()) return static_cast<const json::value*>(nullptr);
  Expected<json::value> parsed = parse_json(inner, "data", embedded.storage());
  if (!parsed) return make_error("data is a string that is not JSON: " + parsed.error());
  embedded = std::move(*parsed);
  return embedded.is_null() ? nullptr : &embedded;
}

Error wrong_kind(std::string_view where, const json::value& v, std::string_view expected) {
  return make_error(std::string(where) + " is " + kind_name(v.kind()) + ", expected " +
                    std::string(expected));
}

// A list in `data`: the array itself, or the first array under one of `keys`
// when OMS wraps it in an object (then `wrapper` points at that object).
const json::array* list_in(const json::value& data, std::initializer_list<std::string_view> keys,
                           const json::object** wrapper) {
  if (data.is_array()) return &data.get_array();
  if (!data.is_object()) return nullptr;
  for (auto k : keys) {
    const json::value* v = field(data.get_object(), k);
    if (v && v->is_array()) {
      *wrapper = &data.get_object();
      return &v->get_array();
    }
  }
  return nullptr;
}

}  // namespace omswatch::oms::parse_detail
