import CSodium
import Foundation

/// libsodium must be initialised once before any other call; `sodium_init` is
/// thread-safe and idempotent, so every entry point calls `Sodium.ready()`.
enum Sodium {
    private static let initialised: Bool = sodium_init() >= 0

    static func ready() {
        precondition(initialised, "libsodium could not be initialised")
    }

    static func randomBytes(_ count: Int) -> Data {
        ready()
        var bytes = Data(count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return bytes
    }
}

/// Random values for tokens, OAuth `state` and nonces.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> Data { Sodium.randomBytes(count) }

    /// A URL-safe random token of `byteCount` bytes of entropy.
    public static func token(byteCount: Int = 32) -> String { Base64URL.encode(bytes(byteCount)) }
}

public enum CryptoError: Error, Equatable, Sendable {
    case badKey(String)
    case cannotOpen
}

/// Comparisons and derivations for local secrets (API token, session cookie).
public enum SecretCompare {
    /// Constant-time equality, so a wrong token reveals nothing by its timing.
    public static func equal(_ a: String, _ b: String) -> Bool {
        Sodium.ready()
        let x = [UInt8](a.utf8), y = [UInt8](b.utf8)
        guard x.count == y.count else { return false }
        return sodium_memcmp(x, y, x.count) == 0
    }

    /// A value derived from `secret` for `purpose` (BLAKE2b, keyed), e.g. the dashboard
    /// session cookie, which must not be the API token itself.
    public static func derive(_ secret: String, purpose: String) -> String {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: 32)
        let key = [UInt8](secret.utf8)
        let message = [UInt8](purpose.utf8)
        crypto_generichash(&out, out.count, message, UInt64(message.count), key, key.count)
        return Base64URL.encode(out)
    }
}
