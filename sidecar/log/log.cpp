#include "sidecar/log/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

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

Parsed parse_fields(std::string_view message) {
    Parsed out;
    // Find the first " key=" that starts the trailing fields.
    std::size_t fields_start = std::string_view::npos;
    for (std::size_t i = 0; i < message.size(); ++i) {
        if (message[i] != '=' || i == 0) {
            continue;
        }
        std::size_t k = i;
        while (k > 0 && is_key_char(message[k - 1])) {
            --k;
        }
        if (k < i && (k == 0 || message[k - 1] == ' ')) {
            fields_start = k;
            break;
        }
    }
    if (fields_start == std::string_view::npos) {
        out.text = std::string(message);
        return out;
    }
    std::string_view text = message.substr(0, fields_start);
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    out.text = std::string(text);
    std::size_t i = fields_start;
    while (i < message.size()) {
        while (i < message.size() && message[i] == ' ') {
            ++i;
        }
        const std::size_t key_start = i;
        while (i < message.size() && is_key_char(message[i])) {
            ++i;
        }
        if (i >= message.size() || message[i] != '=' || i == key_start) {
            // Not key=value after all: keep the rest as text.
            out.text += ' ';
            out.text += message.substr(key_start);
            break;
        }
        std::string key(message.substr(key_start, i - key_start));
        ++i;
        std::string value;
        if (i < message.size() && message[i] == '"') {
            ++i;
            while (i < message.size() && message[i] != '"') {
                if (message[i] == '\\' && i + 1 < message.size()) {
                    ++i;
                }
                value += message[i++];
            }
            ++i;
        } else {
            while (i < message.size() && message[i] != ' ') {
                value += message[i++];
            }
        }
        out.fields.emplace_back(std::move(key), std::move(value));
    }
    return out;
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
        fields[k] = v;
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
