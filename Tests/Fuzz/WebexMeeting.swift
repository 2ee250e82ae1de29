import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PenPalsCore
@testable import Webex

// WebEx's meeting answers, read as WebexClient reads them: one meeting (POST /meetings,
// GET /meetings/{id}) and a list (GET /meetings), each meeting's join link then checked
// as the node checks it before it keeps one; and, for an input that looks like one, the
// list's Link header, whose next page the client follows.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    if let meeting = try? client.decode(WebexMeeting.self, from: data) {
        _ = MeetingNotice.linkProblem(meeting.webLink)
    }
    if let list = try? client.decode(MeetingList.self, from: data) {
        for meeting in list.items { _ = MeetingNotice.linkProblem(meeting.webLink) }
    }
    if data.first == UInt8(ascii: "<"), let link = String(validating: data, as: UTF8.self),
       let response = HTTPURLResponse(url: client.settings.apiBase, statusCode: 200, httpVersion: "HTTP/1.1", headerFields: ["Link": link]) {
        _ = client.nextPage(response)
    }
    return 0
}

private let client = WebexClient(settings: WebexSettings(apiBase: URL(string: "https://webexapis.com/v1")!,
                                                         authorizeURL: URL(string: "https://webexapis.com/v1/authorize")!,
                                                         clientID: "fuzz", clientSecret: "fuzz"))
