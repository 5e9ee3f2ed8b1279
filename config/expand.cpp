#include "config/expand.h"

namespace omswatch::config::detail {

namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

}  // namespace

Expected<std::string> expand_env(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t dollar = text.find('$', pos);
    if (dollar == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, dollar - pos));
    const std::string_view rest = text.substr(dollar);
    if (rest.starts_with("$${")) {
      out.append("${");
      pos = dollar + 3;
      continue;
    }
    if (!rest.starts_with("${")) {
      out.push_back('$');
      pos = dollar + 1;
      continue;
    }
    const std::size_t close = rest.find('}');
    if (close == std::string_view::npos) {
      return make_error("unterminated \"${\" (write \"$${\" for a literal \"${\")");
    }
    const std::string_view name = rest.substr(2, close - 2);
    if (!is_name(name)) {
      return make_error(
          "\"${...}\" must hold a variable name made of letters, digits and '_' (write \"$${\" "
          "for a literal \"${\")");
    }
    auto value = env ? env(name) : std::nullopt;
    if (!value) return make_error("environment variable " + std::string(name) + " is not set");
    out.append(*value);
    pos = dollar + close + 1;
  }
  return out;
}

bool is_single_reference(std::string_view text) {
  return text.size() > 3 && text.starts_with("${") && text.ends_with("}") &&
         is_name(text.substr(2, text.size() - 3));
}

}  // namespace omswatch::config::detail
