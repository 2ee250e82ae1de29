/// Percent-encoding for query strings and `application/x-www-form-urlencoded` bodies.
///
/// Foundation's `URLComponents` leaves `+` and `&`-adjacent characters alone in
/// values, which breaks form bodies; this encodes everything outside RFC 3986's
/// unreserved set (plus `:`, `/` and `@`, harmless in a query and kept for
/// readable scopes and redirect URIs). A space becomes `%20`.
enum FormEncoding {
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }

    static func percentEncode(_ value: String) -> String {
        var result = ""
        for byte in value.utf8 {
            if isKept(byte) {
                result.append(Character(Unicode.Scalar(byte)))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    private static func isKept(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "@"):
            true
        default:
            false
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
