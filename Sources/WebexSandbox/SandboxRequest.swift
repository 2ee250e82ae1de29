import Foundation

/// One request the sandbox answered, as a test inspects it.
///
/// Headers include `Authorization` and bodies include form secrets on purpose:
/// the log exists to check what a node really sent.
public struct SandboxRequest: Codable, Sendable, Equatable {
    public var time: Date
    public var method: String
    public var path: String
    /// The raw query string, without `?`; nil when there was none.
    public var query: String?
    /// Header names in lower case; repeated headers joined with ", ".
    public var headers: [String: String]
    public var body: String
    public var status: Int
    public var trackingId: String?

    /// A query parameter, decoded; nil when absent.
    public func queryValue(_ name: String) -> String? {
        FormData(query ?? "").first(name)
    }

    /// A field of a form-encoded body, decoded; nil when absent.
    public func formValue(_ name: String) -> String? {
        FormData(body).first(name)
    }
}
