#pragma once
// ${VAR} expansion of configuration strings (private to the config module).

#include <string>
#include <string_view>

#include "common/expected.h"
#include "config/config.h"

namespace omswatch::config::detail {

// Replaces every ${NAME} (NAME: a letter or '_', then letters, digits, '_')
// with the variable's value; "$${" stands for a literal "${". Any other '$' is
// kept as written, and values are not expanded again. Fails on an unset
// variable (the message names it), an unterminated "${" or a bad name; a
// message never quotes the text around it, which may be a secret.
Expected<std::string> expand_env(std::string_view text, const EnvLookup& env);

// True when `text` is exactly one ${NAME} reference: the value comes from the
// environment rather than being written into the file.
bool is_single_reference(std::string_view text);

}  // namespace omswatch::config::detail
