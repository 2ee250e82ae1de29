import Foundation
import Hummingbird

/// The kinds of answers the sandbox gives: WebEx JSON, WebEx errors, HTML pages, redirects.
extension Response {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json;charset=UTF-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// WebEx's error body, `{"message", "errors": [{"description"}], "trackingId"}`.
    static func failure(_ failure: SandboxFailure, trackingID: String) -> Response {
        var response = json(
            ErrorBody(
                message: failure.message,
                errors: [.init(description: failure.message)],
                trackingId: trackingID,
                error: failure.oauthError,
                errorDescription: failure.oauthError.map { _ in failure.message }
            ),
            status: failure.status
        )
        if let retryAfter = failure.retryAfter {
            response.headers[.retryAfter] = String(retryAfter)
        }
        if failure.status == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer"
        }
        return response
    }

    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: page))
        )
    }

    static func redirect(to location: String) -> Response {
        Response(status: .found, headers: [.location: location])
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }

    private struct ErrorBody: Encodable {
        struct Item: Encodable { var description: String }
        var message: String
        var errors: [Item]
        var trackingId: String
        var error: String?
        var errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case message, errors, trackingId, error
            case errorDescription = "error_description"
        }
    }
}
