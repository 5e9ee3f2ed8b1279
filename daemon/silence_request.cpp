#include "daemon/silence_request.h"

#include "config/duration.h"

namespace omswatch::daemon {
namespace {

// The longest silence accepts: a year. Longer ones are forgotten, not meant.
constexpr config::Duration kMaxSilence = std::chrono::hours(24 * 366);
constexpr std::size_t kMaxCommentBytes = deliver::kMaxAckReasonBytes;

}  // namespace

std::variant<storage::Silence, deliver::FieldError> make_silence(const SilenceSpec& spec,
                                                                 SystemTime now,
                                                                 const SilenceFieldNames& names) {
  using deliver::FieldError;
  if (spec.project_id.empty() && spec.oms.empty() && spec.kind.empty()) {
    return FieldError{"project_id", "say what to silence: " + names.matchers};
  }
  auto length = config::parse_duration(spec.duration);
  if (!length || length->count() <= 0) {
    return FieldError{"duration", names.duration + " needs a duration such as 2h"};
  }
  if (*length > kMaxSilence) {
    return FieldError{"duration", names.duration + " '" + spec.duration + "' is longer than " +
                                      config::format_duration(kMaxSilence) +
                                      "; silence for less and renew it"};
  }
  if (spec.comment.empty()) {
    return FieldError{"comment", names.comment + ": say why, for whoever is on call next"};
  }
  for (const auto& [field, name, text, bound] :
       {std::tuple{"comment", &names.comment, &spec.comment, kMaxCommentBytes},
        std::tuple{"created_by", &names.created_by, &spec.created_by, deliver::kMaxAckedByBytes}}) {
    if (auto bad = deliver::check_operator_text(*name, *text, bound, true)) {
      return FieldError{field, bad->field + " " + bad->message};
    }
  }
  storage::Silence x;
  x.project_id = spec.project_id;
  x.oms = spec.oms;
  x.kind = spec.kind;
  x.comment = spec.comment;
  x.created_by = spec.created_by;
  x.created_at = to_unix_ms(now);
  x.starts_at = x.created_at;
  if (!spec.starts.empty()) {
    auto starts = parse_time_text(spec.starts, now);
    if (!starts)
      return FieldError{"starts", names.starts + " '" + spec.starts + "' " + starts.error()};
    x.starts_at = to_unix_ms(*starts);
  }
  // Both terms are bounded, so the sum cannot wrap; it may still pass the end of the range.
  x.ends_at = x.starts_at + length->count();
  if (!in_time_range(x.ends_at)) {
    return FieldError{"duration",
                      std::string("the silence would end after the last time omswatch accepts (") +
                          kTimeRangeText + ")"};
  }
  return x;
}

}  // namespace omswatch::daemon
