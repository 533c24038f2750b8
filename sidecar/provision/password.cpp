#include "sidecar/provision/password.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace sg::provision {

namespace {

using Bytes = std::vector<unsigned char>;
constexpr std::size_t kKeyBytes = 32;  // SHA-256
constexpr int kDefaultIterations = 4096;
constexpr std::size_t kSaltBytes = 16;

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

std::string base64(const Bytes& data) {
    std::string out(4 * ((data.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<Bytes> unbase64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) {
        return std::nullopt;
    }
    Bytes out(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(out.data(), bytes_of(text), static_cast<int>(text.size()));
    if (n < 0) {
        return std::nullopt;
    }
    auto size = static_cast<std::size_t>(n);
    // EVP_DecodeBlock counts the padding as zero bytes.
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) {
        --size;
    }
    out.resize(size);
    return out;
}

Bytes hmac(const Bytes& key, std::string_view message) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int size = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes_of(message),
             message.size(), out.data(), &size) == nullptr) {
        throw std::runtime_error("HMAC-SHA-256 failed");
    }
    out.resize(size);
    return out;
}

Bytes digest(const EVP_MD* md, const unsigned char* data, std::size_t size) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int n = 0;
    if (EVP_Digest(data, size, out.data(), &n, md, nullptr) != 1) {
        throw std::runtime_error("digest failed");
    }
    out.resize(n);
    return out;
}

struct ScramKeys {
    Bytes stored_key;
    Bytes server_key;
};

ScramKeys scram_keys(std::string_view password, const Bytes& salt, int iterations) {
    Bytes salted(kKeyBytes);
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                          static_cast<int>(salt.size()), iterations, EVP_sha256(),
                          static_cast<int>(salted.size()), salted.data()) != 1) {
        throw std::runtime_error("PBKDF2-HMAC-SHA-256 failed");
    }
    const Bytes client_key = hmac(salted, "Client Key");
    ScramKeys keys;
    keys.stored_key = digest(EVP_sha256(), client_key.data(), client_key.size());
    keys.server_key = hmac(salted, "Server Key");
    return keys;
}

bool same(const Bytes& a, const Bytes& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Splits "SCRAM-SHA-256$<iter>:<salt>$<stored>:<server>"; nullopt when malformed.
struct ParsedScram {
    int iterations = 0;
    Bytes salt;
    Bytes stored_key;
    Bytes server_key;
};

std::optional<ParsedScram> parse_scram(std::string_view stored) {
    constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
    if (stored.substr(0, kPrefix.size()) != kPrefix) {
        return std::nullopt;
    }
    stored.remove_prefix(kPrefix.size());
    const auto colon1 = stored.find(':');
    const auto dollar = stored.find('$');
    if (colon1 == std::string_view::npos || dollar == std::string_view::npos || dollar < colon1) {
        return std::nullopt;
    }
    const auto colon2 = stored.find(':', dollar);
    if (colon2 == std::string_view::npos) {
        return std::nullopt;
    }
    ParsedScram out;
    const auto iter_text = stored.substr(0, colon1);
    const auto [ptr, ec] =
        std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), out.iterations);
    if (ec != std::errc() || ptr != iter_text.data() + iter_text.size() || out.iterations <= 0) {
        return std::nullopt;
    }
    auto salt = unbase64(stored.substr(colon1 + 1, dollar - colon1 - 1));
    auto stored_key = unbase64(stored.substr(dollar + 1, colon2 - dollar - 1));
    auto server_key = unbase64(stored.substr(colon2 + 1));
    if (!salt || !stored_key || !server_key) {
        return std::nullopt;
    }
    out.salt = std::move(*salt);
    out.stored_key = std::move(*stored_key);
    out.server_key = std::move(*server_key);
    return out;
}

}  // namespace

std::string scram_verifier(std::string_view password, std::string_view salt, int iterations) {
    const Bytes salt_bytes(salt.begin(), salt.end());
    const ScramKeys keys = scram_keys(password, salt_bytes, iterations);
    return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" + base64(salt_bytes) + "$" +
           base64(keys.stored_key) + ":" + base64(keys.server_key);
}

std::string new_scram_verifier(std::string_view password) {
    std::array<unsigned char, kSaltBytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        throw std::runtime_error("could not draw a random salt");
    }
    return scram_verifier(password,
                          std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()),
                          kDefaultIterations);
}

std::string md5_verifier(std::string_view password, std::string_view role) {
    std::string material(password);
    material += role;
    const Bytes sum = digest(EVP_md5(), bytes_of(material), material.size());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "md5";
    for (const unsigned char b : sum) {
        out += kHex[b >> 4U];
        out += kHex[b & 0x0FU];
    }
    return out;
}

bool can_prehash(std::string_view password) {
    for (const char c : password) {
        if (static_cast<unsigned char>(c) >= 0x80U) {
            return false;
        }
    }
    return true;
}

PasswordMatch check_password(std::string_view stored, std::string_view password,
                             std::string_view role) {
    if (const auto scram = parse_scram(stored)) {
        // The server hashed SASLprep(password), which is `password` itself for ASCII; for other
        // text a mismatch may be a normalisation difference, which we report as a difference.
        const ScramKeys keys = scram_keys(password, scram->salt, scram->iterations);
        return same(keys.stored_key, scram->stored_key) && same(keys.server_key, scram->server_key)
                   ? PasswordMatch::kMatches
                   : PasswordMatch::kDiffers;
    }
    if (stored.size() == 35 && stored.substr(0, 3) == "md5") {
        return md5_verifier(password, role) == stored ? PasswordMatch::kMatches
                                                      : PasswordMatch::kDiffers;
    }
    return PasswordMatch::kUnknown;
}

}  // namespace sg::provision
