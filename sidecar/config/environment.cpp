// The environment parse() reads: the process's variables, with the command-line flags laid over
// them (flag_for, set_override). Declared in config.hpp.
#include <algorithm>
#include <string_view>
#include <utility>

#include "sidecar/config/config.hpp"
#include "sidecar/config/reader.hpp"
#include "sidecar/config/values.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace sg::config {

using detail::kFileSuffix;
using detail::kPrefix;
using values::ends_with;
using values::starts_with;
using values::to_lower;

std::string flag_for(std::string_view variable) {
    if (starts_with(variable, kPrefix)) {
        variable.remove_prefix(kPrefix.size());
    }
    std::string flag = to_lower(variable);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

void set_override(Env& env, std::string_view variable, std::string value) {
    if (ends_with(variable, kFileSuffix)) {
        const std::string_view base = variable.substr(0, variable.size() - kFileSuffix.size());
        if (const Setting* s = find_setting(base); s != nullptr && s->secret_file_allowed) {
            env.erase(std::string(base));
        }
    } else if (const Setting* s = find_setting(variable); s != nullptr && s->secret_file_allowed) {
        env.erase(std::string(variable) + std::string(kFileSuffix));
    }
    env[std::string(variable)] = std::move(value);
}

Env process_environment() {
    Env env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::size_t eq = text.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            continue;
        }
        env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    return env;
}

}  // namespace sg::config
