import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The HTTP server of one listen address, built from HummingbirdCore's server
/// builder the way Hummingbird's `Application.run` builds it, less one thing:
/// `Application` keeps its `Date` header in a cache that a task of its own
/// refreshes every second, so a host of 100 listeners woke up 100 times a second
/// with nothing to do (perf: the `AsyncTimerSequence` and its `dispatch_after` were
/// most of an idle district's samples). Here the header comes from `HTTPDate`,
/// which formats on the first response of each second and never wakes by itself.
enum HTTPServer {
    /// A parser error met while writing a response, which the channel handler must
    /// not take for one met while reading (it would answer 400 a second time).
    struct ParseErrorWhileWriting: Error {}

    /// The server's logger, with the request's id, as Application logs it.
    private static func requestLogger(_ logger: Logger) -> Logger {
        var logger = logger
        logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
        return logger
    }

    /// The server as a lifecycle service; it stops accepting and drains the requests
    /// in flight on graceful shutdown.
    static func service<Responder: HTTPResponder>(
        responder: Responder, server: HTTPServerBuilder, configuration: ServerConfiguration,
        logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) throws -> any Service where Responder.Context == BasicRequestContext {
        let serverName = configuration.serverName
        return try server.buildServer(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                                      logger: logger) { request, writer, channel in
            let context = BasicRequestContext(source: .init(
                channel: channel, logger: requestLogger(logger)))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                // What a responder did not turn into a response (ours all do) is a
                // 500, as Application answers it.
                context.logger.debug("unanswered error", metadata: ["error.type": "\(type(of: error))"])
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = HTTPDate.now
            if let serverName { response.headers[.server] = serverName }
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Throwing the parser error would write a second response.
                throw ParseErrorWhileWriting()
            }
        } onServerRunning: { channel in
            await onServerRunning(channel)
        }
    }
}

/// The `Date` header's value (RFC 9110's IMF-fixdate), shared by every listener
/// of the process and formatted at most once a second, when a response asks.
enum HTTPDate {
    private struct Cache {
        var second = Int.min
        var text = ""
        let formatter: DateFormatter = {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            return formatter
        }()
    }

    private static let cache = Mutex(Cache())

    /// Now, as an HTTP date.
    static var now: String { text(for: Date()) }

    /// `date`, as an HTTP date (cached for the second it falls in).
    static func text(for date: Date) -> String {
        let second = Int(date.timeIntervalSince1970.rounded(.down))
        return cache.withLock { cache in
            if cache.second != second {
                cache.second = second
                cache.text = cache.formatter.string(from: Date(timeIntervalSince1970: Double(second)))
            }
            return cache.text
        }
    }
}
