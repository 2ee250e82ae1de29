import Hummingbird

/// An error the sandbox answers the way WebEx does.
///
/// Rendered as `{"message", "errors": [{"description"}], "trackingId"}`; OAuth
/// failures also carry `error` and `error_description` so clients that read
/// either shape understand them.
struct SandboxFailure: Error, Equatable {
    var status: HTTPResponse.Status
    var message: String
    var oauthError: String?
    var retryAfter: Int?

    static func invalid(_ message: String) -> SandboxFailure {
        SandboxFailure(status: .badRequest, message: message)
    }

    static func oauth(_ status: HTTPResponse.Status, _ error: String, _ description: String) -> SandboxFailure {
        SandboxFailure(status: status, message: description, oauthError: error)
    }

    static let missingToken = SandboxFailure(
        status: .unauthorized,
        message: "The request requires a valid access token set in the Authorization request header."
    )

    static let notFound = SandboxFailure(
        status: .notFound,
        message: "The requested resource could not be found."
    )
}
