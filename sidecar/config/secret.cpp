#include "sidecar/config/secret.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace sg::config {

namespace {

constexpr std::string_view kMask = "****";
constexpr std::uintmax_t kMaxSecretFileBytes = std::uintmax_t{1024} * 1024;

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
    if (needle.size() > haystack.size()) {
        return false;
    }
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        bool match = true;
        for (std::size_t j = 0; j < needle.size(); ++j) {
            if (lower(haystack[i + j]) != lower(needle[j])) {
                match = false;
                break;
            }
        }
        if (match) {
            return true;
        }
    }
    return false;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

// Keys whose value is a secret: password, sslpassword, and anything else naming a password.
bool is_secret_key(std::string_view key) {
    return contains_ci(key, "password");
}

// A value that is itself a connection string holding credentials (never expanded by the
// PQconnectdb family, but cheap to hide).
bool looks_like_credentials(std::string_view value) {
    return contains_ci(value, "password") || (value.find("://") != std::string_view::npos &&
                                              value.find('@') != std::string_view::npos);
}

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// URI form. The hidden parts are byte ranges of the input, merged and each replaced by "****":
//  - the password as libpq reads it: user info ends at the first '@' met before any '/', the
//    password is what follows its first ':';
//  - in case the password holds a raw '@' or '/' (a mistake libpq reads as host and path): from
//    that ':' up to the last '@' before the query;
//  - query parameters (split on '&', keys percent-decoded as libpq does) naming a password, and
//    values that are themselves credentials.
std::string mask_uri(std::string_view dsn, std::size_t scheme_end) {
    using Range = std::pair<std::size_t, std::size_t>;  // [first, last)
    std::vector<Range> hidden;
    const std::size_t npos = std::string_view::npos;

    const std::size_t info_end = dsn.find_first_of("@/", scheme_end);
    std::size_t after_info = scheme_end;
    if (info_end != npos && dsn[info_end] == '@') {
        const std::size_t colon = dsn.find(':', scheme_end);
        if (colon < info_end) {
            hidden.emplace_back(colon + 1, info_end);
        }
        after_info = info_end + 1;
    }
    const std::size_t query = dsn.find('?', after_info);
    const std::size_t query_or_end = query == npos ? dsn.size() : query;
    if (query_or_end > scheme_end) {
        const std::size_t last_at = dsn.rfind('@', query_or_end - 1);
        if (last_at != npos && last_at >= scheme_end) {
            const std::size_t colon = dsn.find(':', scheme_end);
            if (colon < last_at) {
                hidden.emplace_back(colon + 1, last_at);
            }
        }
    }
    if (query != npos) {
        std::size_t start = query + 1;
        while (start <= dsn.size()) {
            const std::size_t end = std::min(dsn.find('&', start), dsn.size());
            const std::string_view param = dsn.substr(start, end - start);
            const std::size_t eq = param.find('=');
            if (eq != npos && (is_secret_key(percent_decode(param.substr(0, eq))) ||
                               looks_like_credentials(percent_decode(param.substr(eq + 1))))) {
                hidden.emplace_back(start + eq + 1, end);
            }
            start = end + 1;
        }
    }

    std::sort(hidden.begin(), hidden.end());
    std::string out;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < hidden.size();) {
        std::size_t first = hidden[i].first;
        std::size_t last = hidden[i].second;
        for (++i; i < hidden.size() && hidden[i].first <= last; ++i) {
            last = std::max(last, hidden[i].second);
        }
        first = std::max(first, pos);
        out += dsn.substr(pos, first - pos);
        out += kMask;
        pos = std::max(pos, last);
    }
    out += dsn.substr(pos);
    return out;
}

// key=value form, tokenised as libpq's conninfo_parse does. Anything it would reject hides the
// rest of the string, since we cannot tell where a secret in it would end.
std::string mask_keywords(std::string_view dsn) {
    std::string out;
    std::size_t i = 0;
    const std::size_t n = dsn.size();
    while (i < n) {
        const std::size_t token_start = i;
        while (i < n && is_space(dsn[i])) {
            ++i;
        }
        out += dsn.substr(token_start, i - token_start);
        if (i == n) {
            break;
        }
        const std::size_t key_start = i;
        while (i < n && !is_space(dsn[i]) && dsn[i] != '=') {
            ++i;
        }
        const std::string_view key = dsn.substr(key_start, i - key_start);
        while (i < n && is_space(dsn[i])) {
            ++i;
        }
        if (i == n || dsn[i] != '=' || key.empty()) {
            out += kMask;
            return out;
        }
        ++i;  // '='
        while (i < n && is_space(dsn[i])) {
            ++i;
        }
        const std::size_t value_start = i;
        std::string value;  // unescaped, to spot embedded credentials
        if (i < n && dsn[i] == '\'') {
            ++i;
            bool closed = false;
            while (i < n) {
                if (dsn[i] == '\\' && i + 1 < n) {
                    value += dsn[i + 1];
                    i += 2;
                } else if (dsn[i] == '\'') {
                    ++i;
                    closed = true;
                    break;
                } else {
                    value += dsn[i++];
                }
            }
            if (!closed) {
                out += dsn.substr(key_start, value_start - key_start);
                out += kMask;
                return out;
            }
        } else {
            while (i < n && !is_space(dsn[i])) {
                if (dsn[i] == '\\' && i + 1 < n) {
                    value += dsn[i + 1];
                    i += 2;
                } else {
                    value += dsn[i++];
                }
            }
        }
        out += dsn.substr(key_start, value_start - key_start);
        if (is_secret_key(key) || looks_like_credentials(value)) {
            out += kMask;
        } else {
            out += dsn.substr(value_start, i - value_start);
        }
    }
    return out;
}

// Where a URI's "scheme://" ends, or npos for the key=value form.
std::size_t uri_scheme_end(std::string_view dsn) {
    const std::size_t sep = dsn.find("://");
    if (sep == std::string_view::npos || sep == 0) {
        return std::string_view::npos;
    }
    for (std::size_t i = 0; i < sep; ++i) {
        const char c = dsn[i];
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-' && c != '.') {
            return std::string_view::npos;
        }
    }
    return sep + 3;
}

}  // namespace

std::string mask_dsn(const std::string& dsn) {
    try {
        const std::size_t scheme_end = uri_scheme_end(dsn);
        return scheme_end == std::string_view::npos ? mask_keywords(dsn)
                                                    : mask_uri(dsn, scheme_end);
    } catch (...) {
        return std::string(kMask);  // allocation failure: say nothing rather than leak
    }
}

std::string masked(const Secret& dsn) {
    return mask_dsn(dsn.reveal());
}

std::optional<std::string> read_secret_file(const std::filesystem::path& path, std::string& error) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec) {
        error = ec.message();
        return std::nullopt;
    }
    if (fs::is_directory(status)) {
        error = "it is a directory";
        return std::nullopt;
    }
    // Only regular files (a secret mount's symlinks lead to one): a FIFO would block start-up
    // forever and a device such as /dev/zero never ends.
    if (!fs::is_regular_file(status)) {
        error = "it is not a regular file";
        return std::nullopt;
    }
    const auto size = fs::file_size(path, ec);
    if (!ec && size > kMaxSecretFileBytes) {
        error = "it is larger than 1 MiB";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);  // NOLINT(concurrency-mt-unsafe): start-up, one thread
        return std::nullopt;
    }
    // Bounded even if the file grows while it is read.
    std::string content(static_cast<std::size_t>(kMaxSecretFileBytes) + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad()) {
        error = "read error";
        return std::nullopt;
    }
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxSecretFileBytes) {
        error = "it is larger than 1 MiB";
        return std::nullopt;
    }
    return content;
}

}  // namespace sg::config
