// The module walls of sidecar/README.md: every #include "sidecar/<module>/..." of a module is one
// its row allows, libpqxx stays in db/ and Beast in http/.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// "| `cli` | owns ... | http, metrics, app |" -> {"cli", {"http", "metrics", "app"}}
std::map<std::string, std::set<std::string>> allowed_imports() {
    std::map<std::string, std::set<std::string>> table;
    std::istringstream in(read(fs::path(SCHEMAGATE_SOURCE_DIR) / "sidecar" / "README.md"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("| `", 0) != 0) {
            continue;
        }
        const auto end = line.find('`', 3);
        const std::string module = line.substr(3, end - 3);
        const auto last_bar = line.rfind('|', line.size() - 2);
        std::istringstream imports(line.substr(last_bar + 1, line.size() - last_bar - 2));
        std::set<std::string> allowed;
        std::string word;
        while (std::getline(imports, word, ',')) {
            word.erase(0, word.find_first_not_of(' '));
            word.erase(word.find_last_not_of(' ') + 1);
            if (!word.empty()) {
                allowed.insert(word);
            }
        }
        table[module] = allowed;
    }
    return table;
}

}  // namespace

TEST_CASE("sidecar modules import only the modules below them (sidecar/README.md)") {
    const auto table = allowed_imports();
    REQUIRE(table.size() >= 11);
    const fs::path root = fs::path(SCHEMAGATE_SOURCE_DIR) / "sidecar";
    int files = 0;
    for (const auto& dir : fs::directory_iterator(root)) {
        if (!dir.is_directory()) {
            continue;
        }
        const std::string module = dir.path().filename().string();
        CAPTURE(module);
        REQUIRE_MESSAGE(table.count(module) == 1, "module " << module << " has no row");
        for (const auto& file : fs::directory_iterator(dir.path())) {
            const std::string text = read(file.path());
            ++files;
            CAPTURE(file.path().filename().string());
            std::size_t at = 0;
            while ((at = text.find("#include \"sidecar/", at)) != std::string::npos) {
                at += 18;
                const auto slash = text.find('/', at);
                const std::string imported = text.substr(at, slash - at);
                if (imported != module && imported.find('.') == std::string::npos) {
                    CAPTURE(imported);
                    CHECK(table.at(module).count(imported) == 1);
                }
            }
            if (module != "db") {
                CHECK(text.find("#include <pqxx/") == std::string::npos);
            }
            if (module != "http") {
                CHECK(text.find("#include <boost/beast") == std::string::npos);
            }
        }
    }
    CHECK(files > 50);
}

// A file a newcomer can read in one sitting: the program's sources stay at 400 lines or fewer
// (functions at 80 or fewer: .clang-tidy's readability-function-size).
TEST_CASE("no source file of the program is over 400 lines") {
    int files = 0;
    for (const auto& entry :
         fs::recursive_directory_iterator(fs::path(SCHEMAGATE_SOURCE_DIR) / "sidecar")) {
        const auto ext = entry.path().extension();
        if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) {
            continue;
        }
        ++files;
        const std::string text = read(entry.path());
        const auto lines = std::count(text.begin(), text.end(), '\n');
        CAPTURE(entry.path().string());
        CHECK(lines <= 400);
    }
    CHECK(files > 50);
}
