// argv -> cli -> exit code; nothing else.
#include "sidecar/cli/cli.hpp"

int main(int argc, char** argv) {
    return sg::cli::main(argc, argv);
}
