#pragma once
// A silence as `omswatch silence add` and POST /api/v1/silences ask for it,
// checked and turned into what the store keeps: one set of rules for both.

#include <string>
#include <variant>

#include "common/time.h"
#include "daemon/deliver/acks.h"
#include "storage/store.h"

namespace omswatch::daemon {

struct SilenceSpec {
  std::string oms, project_id, kind;  // at least one
  std::string duration;               // "2h": how long, at most 366d
  std::string starts;                 // "" (now), or a time as the CLI takes it
  std::string comment;                // why; required
  std::string created_by;             // who; required
};

// How the caller names each field in its messages: the CLI's options or the
// API's body fields.
struct SilenceFieldNames {
  std::string matchers;  // "--project, --oms and/or --kind"
  std::string duration, starts, comment, created_by;
};
inline const SilenceFieldNames kCliSilenceFields{"--project, --oms and/or --kind", "--for",
                                                 "--starts", "--comment", "created_by"};
inline const SilenceFieldNames kApiSilenceFields{"oms, project_id and/or kind", "duration",
                                                 "starts", "comment", "created_by"};

// The silence to store, or what is wrong with `spec`: FieldError::field is
// the API's name of the field (project_id for a silence that matches
// everything), FieldError::message a whole sentence in `names`' terms.
std::variant<storage::Silence, deliver::FieldError> make_silence(const SilenceSpec& spec,
                                                                 SystemTime now,
                                                                 const SilenceFieldNames& names);

}  // namespace omswatch::daemon
