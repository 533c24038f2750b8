// Role passwords as PostgreSQL stores them: SCRAM-SHA-256 verifiers made on our side, so a
// plaintext password never travels in SQL text (or lands in the server log), and checks of a
// password against a stored verifier. Pure but for the random salt; never logs.
#pragma once

#include <string>
#include <string_view>

namespace sg::provision {

// "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>", the format of
// pg_authid.rolpassword (RFC 5802/7677 keys over PBKDF2-HMAC-SHA-256).
[[nodiscard]] std::string scram_verifier(std::string_view password, std::string_view salt,
                                         int iterations);

// A verifier with a fresh random 16-byte salt and 4096 iterations (PostgreSQL's defaults).
[[nodiscard]] std::string new_scram_verifier(std::string_view password);

// "md5" + hex MD5(password + role), the legacy format.
[[nodiscard]] std::string md5_verifier(std::string_view password, std::string_view role);

// Whether `password` can be pre-hashed on our side: PostgreSQL normalises a password with
// SASLprep before hashing it, which leaves ASCII unchanged but may change other text; those
// passwords are sent for the server to hash instead.
[[nodiscard]] bool can_prehash(std::string_view password);

enum class PasswordMatch {
    kMatches,  // `stored` was made from `password`
    kDiffers,  // it was not
    kUnknown,  // `stored` has a format we do not know
};

// Compares `password` with pg_authid.rolpassword (SCRAM or md5) of `role`.
[[nodiscard]] PasswordMatch check_password(std::string_view stored, std::string_view password,
                                           std::string_view role);

}  // namespace sg::provision
