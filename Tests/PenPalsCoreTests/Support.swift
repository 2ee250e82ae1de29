import Foundation
import Testing
@testable import PenPalsCore

/// Three nodes and the ciphers between them, for the protocol tests.
struct Nodes {
    let a = NodeKey.generate()
    let b = NodeKey.generate()
    let c = NodeKey.generate()

    func cipher(_ local: NodeKey, _ peer: NodeKey) -> ChannelCipher {
        try! ChannelCipher(local: local, peer: peer.id)
    }
}

/// A fixed instant: 2026-12-01T15:00:00Z.
let december1 = Date(timeIntervalSince1970: 1_796_137_200)

/// The keys of a JSON object.
func jsonKeys(_ data: Data) throws -> Set<String> {
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return Set(object.keys)
}

func jsonObject(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// The kind of a ProtocolError, ignoring its message.
enum ProtocolErrorKind: Equatable {
    case malformed, badClock, cannotUnseal, badSignature, untrusted(NodeID), notAddressedHere, conflict
}

extension ProtocolError {
    var kind: ProtocolErrorKind {
        switch self {
        case .malformed: .malformed
        case .badClock: .badClock
        case .cannotUnseal: .cannotUnseal
        case .badSignature: .badSignature
        case .untrusted(let id): .untrusted(id)
        case .notAddressedHere: .notAddressedHere
        case .conflict: .conflict
        }
    }
}

/// The ProtocolError thrown by `body`, or nil if it did not throw one.
func protocolError<T>(_ body: () throws -> T) -> ProtocolError? {
    do {
        _ = try body()
        return nil
    } catch let error as ProtocolError {
        return error
    } catch {
        Issue.record("expected a ProtocolError, got \(error)")
        return nil
    }
}
