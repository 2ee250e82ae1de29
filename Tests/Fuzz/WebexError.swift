import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Webex

// WebEx's error answers, read as WebexClient.send reads every answer that is not 2xx
// (WebexErrorAnswer: the body, in WebEx's or OAuth's shape, and Retry-After), then the
// WebexError a caller acts on and its message. The input is a status (its first byte
// picks one), a Retry-After line (none when empty), and the body:
//     <status byte><Retry-After>\n<body>
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    guard let first = data.first else { return 0 }
    let status = statuses[Int(first) % statuses.count]
    let rest = data.dropFirst()
    let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
    var headers: [String: String] = [:]
    if newline > rest.startIndex, let retryAfter = String(validating: rest[..<newline], as: UTF8.self) {
        headers["Retry-After"] = retryAfter
    }
    let body = Data(rest[min(newline + 1, rest.endIndex)...])
    guard let response = HTTPURLResponse(url: url, statusCode: status, httpVersion: "HTTP/1.1", headerFields: headers) else { return 0 }
    let answer = WebexErrorAnswer(status: status, headers: response, body: body, now: now)
    for isTokenRequest in [false, true] {
        _ = answer.error(isTokenRequest: isTokenRequest).errorDescription
    }
    return 0
}

/// The statuses WebEx's spec lists for its errors, and a few others.
private let statuses = [400, 401, 403, 404, 405, 409, 410, 415, 423, 428, 429, 500, 502, 503, 504, 418]
private let url = URL(string: "https://webexapis.com/v1/meetings")!
private let now = Date(timeIntervalSince1970: 1_795_608_000)
