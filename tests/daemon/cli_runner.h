#pragma once
// Runs the CLI in-process, as `omswatch ARGS...` would run, with stdout and
// stderr captured.

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/cli.h"

namespace omswatch::daemon {

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `omswatch ARGS...` in-process with stdout and stderr captured.
inline Output omswatch(std::vector<std::string> args) {
  args.insert(args.begin(), "omswatch");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out;
  std::ostringstream err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  Output o;
  o.code = run_cli(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

}  // namespace omswatch::daemon
