// argv -> cli -> exit code; nothing else (but for blocking the stop signals before start-up).
#include "sidecar/cli/cli.hpp"
#include "sidecar/wait/stop.hpp"

namespace {

// The executable's pre-initialisation array runs right after the dynamic loader, before any
// library's or our own static initialisation (slow under the sanitizers): from here on a SIGTERM
// that arrives during start-up waits, pending, for the handler of the command that owns it,
// instead of killing the process.
void block_stop_signals_at_start(int /*argc*/, char** /*argv*/, char** /*envp*/) {
    sg::wait::block_stop_signals();
}
[[gnu::section(".preinit_array"),
  gnu::used]] void (*const block_at_start)(int, char**, char**) = &block_stop_signals_at_start;

}  // namespace

int main(int argc, char** argv) {
    return sg::cli::main(argc, argv);
}
