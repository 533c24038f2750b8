// The integration test binary's entry point: doctest's own command line (-tc, -sc, -s, ...),
// plus a warning up front when the throwaway PostgreSQL is not there (every test then fails).
#define DOCTEST_CONFIG_IMPLEMENT
#include <cstdlib>
#include <iostream>

#include <doctest/doctest.h>

int main(int argc, char** argv) {
    doctest::Context context;
    context.applyCommandLine(argc, argv);
    const char* url = std::getenv("SCHEMAGATE_TEST_ADMIN_URL");
    if (url == nullptr || *url == '\0') {
        std::cerr << "integration_tests: SCHEMAGATE_TEST_ADMIN_URL is not set, so every database "
                     "test will fail. Run the tests with tests/run, or start a server first:\n"
                     "  eval \"$(tests/pg/server start)\"   ...   tests/pg/server destroy\n";
    }
    return context.run();
}
