import Foundation
import PenPalsCore

// RFC 3339 times, in every event, body, sync message and API request: Timestamp.parse,
// then the time written again (as a node writes every time it sends) in UTC and in a
// zone. Within the years a node writes (1 to 9999), what it writes reads back as the
// parsed time to the second.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: input(bytes, size), as: UTF8.self), let date = Timestamp.parse(text) else { return 0 }
    let written = Timestamp.format(date)
    let reread = Timestamp.parse(written)
    require(reread != nil, "a written time does not parse: \(written)")
    let second = date.timeIntervalSince1970.rounded(.down)
    if second >= -62_135_596_800, second <= 253_402_300_799 {
        require(reread?.timeIntervalSince1970 == second, "\(text) is written as \(written), another second")
    }
    require(Timestamp.parse(Timestamp.format(date, in: chicago)) != nil, "a time written in a zone does not parse")
    return 0
}

/// A zone with daylight saving time and a negative offset.
private let chicago = TimeZone(identifier: "America/Chicago")!
