// The command line: parses the arguments and runs one command (cli/<command>.cpp).
#pragma once

#include "sidecar/app/exit_code.hpp"

namespace sg::cli {

using app::ExitCode;
using enum app::ExitCode;

[[nodiscard]] int main(int argc, char** argv);

}  // namespace sg::cli
