import Foundation
public import PenPalsCore
public import Webex

/// How a node reaches its peers' `/p2p/v1` endpoints. `PeerClient` speaks HTTP;
/// `HostTransport` hands requests to nodes of the same process and the rest to
/// HTTP; the protocol simulation routes in memory with faults of its choosing.
public protocol PeerTransport: Sendable {
    /// POSTs `body` to `path` of `peer` and returns the signed envelope it answers with.
    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope
    /// Whether `peer` runs in this process, so that it learns of every change as it
    /// is made and needs no periodic sync (contract §7.1).
    func runsHere(_ peer: NodeID) -> Bool

    /// POSTs `body` to `path` of `peer` and returns its answer's body (a digest's answer,
    /// which is no single envelope). Throws `PeerFailure.refused` with 404 where the
    /// transport has no such route.
    func postForBody(_ body: Data, to peer: Classroom, path: String) async throws -> Data
    /// Whether the pair with `peer` is reconciled by its host's digests rather than by
    /// a sync of its own every `sync_interval` (docs/protocol.md §12).
    func syncsByDigest(_ peer: Classroom) -> Bool
    /// The peers of `node` that do not run in this process, by name.
    func remotePeers(of node: ClassroomNode) -> [Classroom]
}

extension PeerTransport {
    public func runsHere(_ peer: NodeID) -> Bool { false }
    public func postForBody(_ body: Data, to peer: Classroom, path: String) async throws -> Data {
        throw PeerFailure.refused(status: 404, message: "No route \(path) on this transport.")
    }
    public func syncsByDigest(_ peer: Classroom) -> Bool { false }
    public func remotePeers(of node: ClassroomNode) -> [Classroom] { node.directory.peers { !runsHere($0.id) } }
}

/// Why a peer could not be reached or believed: what every `PeerTransport` throws,
/// over HTTP or in process, and what delivery acts on (a bad sync answer still lets
/// the outbox go out; anything else backs off).
public enum PeerFailure: Error, CustomStringConvertible, Equatable {
    /// No answer: refused connection, timeout, an answer over the size limit.
    case unreachable(String)
    /// The peer answered with an error: its status and its message.
    case refused(status: Int, message: String)
    /// An answer this node does not take: not a signed envelope, a bad signature,
    /// a page that is not the one asked for.
    case badAnswer(String)

    public var description: String {
        switch self {
        case .unreachable(let why): "unreachable: \(why)"
        case .refused(let status, let message): "refused with \(status): \(message)"
        case .badAnswer(let why): "bad answer: \(why)"
        }
    }
}

/// The WebEx operations a sender's node needs, done with its own account.
public protocol MeetingHost: Sendable {
    func isConnected() async throws -> Bool
    /// The meeting carrying `tag` between `from` and `to`, if one exists.
    func findMeeting(tag: String, from: Date, to: Date) async throws -> WebexMeeting?
    func createMeeting(_ meeting: NewWebexMeeting) async throws -> WebexMeeting
    /// Replaces the meeting's fields (a PUT: every field it was made with, with new values).
    func updateMeeting(id: String, _ meeting: NewWebexMeeting) async throws -> WebexMeeting
    func deleteMeeting(id: String) async throws
}

/// The classroom's WebEx account as a `MeetingHost`: every call with a fresh
/// access token, refreshed once on a 401.
struct WebexLink: MeetingHost {
    let client: WebexClient
    let account: WebexAccount
    let tokens: SealedTokenStore

    func isConnected() async throws -> Bool {
        try await account.isConnected()
    }

    func findMeeting(tag: String, from: Date, to: Date) async throws -> WebexMeeting? {
        let client = client
        return try await account.withAccessToken { token in
            try await client.meetings(integrationTag: tag, from: from, to: to, accessToken: token)
                .first { $0.integrationTags?.contains(tag) ?? true }
        }
    }

    func createMeeting(_ meeting: NewWebexMeeting) async throws -> WebexMeeting {
        let client = client
        return try await account.withAccessToken { token in
            try await client.createMeeting(meeting, accessToken: token)
        }
    }

    func updateMeeting(id: String, _ meeting: NewWebexMeeting) async throws -> WebexMeeting {
        let client = client
        return try await account.withAccessToken { token in
            try await client.updateMeeting(id: id, meeting, accessToken: token)
        }
    }

    func deleteMeeting(id: String) async throws {
        let client = client
        try await account.withAccessToken { token in
            try await client.deleteMeeting(id: id, accessToken: token)
        }
    }
}
