#pragma once
// The receiver types the configuration accepts, and what it checks of each:
// one entry per type (notifiers/ builds a sender for each one: a test keeps
// the two lists equal).

#include <span>
#include <string_view>
#include <vector>

namespace omswatch::config {

struct ReceiverType {
  std::string_view name;  // the receivers' `type`
  bool needs_url;         // every type but console
  bool uses_secret;       // signs its requests with `secret` (alertmanager: a bearer token)
  bool token_in_url;      // a chat webhook whose URL carries the access token
};

// In the order the documentation lists them.
std::span<const ReceiverType> receiver_types();

// nullptr for a type that is not in the table.
const ReceiverType* find_receiver_type(std::string_view name);

// The names of the types, in the table's order; with `having`, only those
// for which that flag is set.
std::vector<std::string_view> receiver_type_names(bool ReceiverType::*having = nullptr);

}  // namespace omswatch::config
