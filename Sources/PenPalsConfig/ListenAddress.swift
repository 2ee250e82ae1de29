import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a node listens: `127.0.0.1:7411`, `[::1]:7411`, `0.0.0.0:80`, `localhost:7411`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address, an IPv6 address (without brackets) or a host name.
    public var host: String
    /// 1 to 65535.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, with IPv6 addresses in brackets. Nil for anything else,
    /// including a port outside 1...65535.
    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
            guard Self.isIPv6(String(hostPart)) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            let host = String(hostPart)
            guard !host.contains(":") else { return nil }   // IPv6 needs brackets
            if host.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
                guard Self.isIPv4(host) else { return nil }
            } else {
                guard Self.isHostName(host) else { return nil }
            }
        }
        guard (1...5).contains(portPart.count), portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portPart), (1...65535).contains(port) else { return nil }
        self.host = text.hasPrefix("[") ? String(hostPart) : String(hostPart).lowercased()
        self.port = port
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether two nodes listening on these addresses would fight over the same socket.
    public func overlaps(_ other: ListenAddress) -> Bool {
        guard port == other.port else { return false }
        let a = canonicalHost, b = other.canonicalHost
        if a == b || a == "::" || b == "::" { return true }
        if a == "0.0.0.0" { return !b.contains(":") }
        if b == "0.0.0.0" { return !a.contains(":") }
        let loopback: Set<String> = ["localhost", "127.0.0.1", "::1"]
        return (a == "localhost" && loopback.contains(b)) || (b == "localhost" && loopback.contains(a))
    }

    private var canonicalHost: String {
        if host.utf8.contains(UInt8(ascii: ":")) {
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else { return host.lowercased() }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return host.lowercased() }
            return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return host.lowercased()
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    static func isHostName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let labels = text.hasSuffix(".") ? text.dropLast().split(separator: ".", omittingEmptySubsequences: false)
                                         : text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
