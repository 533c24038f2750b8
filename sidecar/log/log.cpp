#include "sidecar/log/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sg::log {

namespace {

bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

std::string utc_timestamp(std::chrono::system_clock::time_point tp) {
    const auto t = std::chrono::system_clock::to_time_t(tp);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    return buf;
}

class JsonSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit JsonSink(std::string service) : service_(std::move(service)) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const auto level = spdlog::level::to_string_view(msg.level);
        std::string line =
            json_line(utc_timestamp(msg.time), std::string_view(level.data(), level.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()), service_);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stderr);
    }
    void flush_() override { std::fflush(stderr); }

  private:
    std::string service_;
};

}  // namespace

namespace {

// `text` parsed as nothing but key=value pairs (values bare or "quoted"), or nullopt.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_pairs(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') {
            ++i;
        }
        if (i == text.size()) {
            break;
        }
        const std::size_t key_start = i;
        while (i < text.size() && is_key_char(text[i])) {
            ++i;
        }
        if (i >= text.size() || text[i] != '=' || i == key_start) {
            return std::nullopt;
        }
        std::string key(text.substr(key_start, i - key_start));
        ++i;
        std::string value;
        if (i < text.size() && text[i] == '"') {
            ++i;
            while (i < text.size() && text[i] != '"') {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    ++i;
                }
                value += text[i++];
            }
            if (i >= text.size()) {
                return std::nullopt;  // an open quote: not a field
            }
            ++i;
            if (i < text.size() && text[i] != ' ') {
                return std::nullopt;
            }
        } else {
            while (i < text.size() && text[i] != ' ') {
                value += text[i++];
            }
        }
        out.emplace_back(std::move(key), std::move(value));
    }
    return out;
}

}  // namespace

Parsed parse_fields(std::string_view message) {
    Parsed out;
    // The fields are the longest trailing run of key=value pairs: a "SCHEMAGATE_LINT=error"
    // inside the sentence stays in the sentence.
    for (std::size_t k = 0; k < message.size(); ++k) {
        if (k > 0 && message[k - 1] != ' ') {
            continue;
        }
        std::size_t e = k;
        while (e < message.size() && is_key_char(message[e])) {
            ++e;
        }
        if (e == k || e >= message.size() || message[e] != '=') {
            continue;
        }
        if (auto pairs = parse_pairs(message.substr(k))) {
            std::string_view text = message.substr(0, k);
            while (!text.empty() && text.back() == ' ') {
                text.remove_suffix(1);
            }
            out.text = std::string(text);
            out.fields = std::move(*pairs);
            return out;
        }
    }
    out.text = std::string(message);
    return out;
}

// A bare value that is a JSON number (42, -3; 0.25 in a figure's field) is written as one;
// versions and codes stay text ("1.10" is not 1.1), and so do values with leading zeros.
bool is_number_field(std::string_view key, std::string_view value) {
    if (key == "version" || key.ends_with("_version") || key == "target" || key == "sqlstate" ||
        value.empty() || value.size() > 18) {
        return false;
    }
    std::size_t i = value.front() == '-' ? 1 : 0;
    const std::size_t digits = i;
    while (i < value.size() && value[i] >= '0' && value[i] <= '9') {
        ++i;
    }
    if (i == digits || (value[digits] == '0' && i - digits > 1)) {
        return false;
    }
    // A decimal only in a field named as a figure (elapsed_s, ratio): "15.18" is libpq's version.
    const bool figure = key.ends_with("_s") || key.ends_with("_ms") || key.ends_with("_seconds") ||
                        key.ends_with("ratio");
    if (i < value.size() && value[i] == '.' && figure) {
        const std::size_t fraction = ++i;
        while (i < value.size() && value[i] >= '0' && value[i] <= '9') {
            ++i;
        }
        if (i == fraction) {
            return false;
        }
    }
    return i == value.size();
}

std::string json_line(std::string_view timestamp, std::string_view level, std::string_view message,
                      std::string_view service) {
    const Parsed parsed = parse_fields(message);
    nlohmann::ordered_json j;
    j["ts"] = timestamp;
    j["level"] = level;
    j["msg"] = parsed.text;
    j["service"] = service;
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    for (const auto& [k, v] : parsed.fields) {
        if (is_number_field(k, v)) {
            fields[k] = nlohmann::ordered_json::parse(v);
        } else {
            fields[k] = v;
        }
    }
    j["fields"] = std::move(fields);
    // Replace invalid UTF-8 rather than throw: a log line must never take the process down.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void setup(std::string_view level, Format format, std::string service) {
    std::shared_ptr<spdlog::logger> logger;
    if (format == Format::kJson) {
        logger = std::make_shared<spdlog::logger>("schemagate",
                                                  std::make_shared<JsonSink>(std::move(service)));
    } else {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        logger = std::make_shared<spdlog::logger>("schemagate", std::move(sink));
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc);
    }
    logger->set_level(spdlog::level::from_str(std::string(level)));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace sg::log
