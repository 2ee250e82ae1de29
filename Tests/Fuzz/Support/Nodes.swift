import Foundation
import PenPalsCore

/// The two nodes of every protocol target and of the seed generator (Seeds/main.swift):
/// keys from fixed seeds, so that what the generator signed and sealed into the corpora
/// is signed by a node the fuzzers trust and opens with the key they read with.
enum FuzzNodes {
    /// The author of every event, sync request, answer and acknowledgement in the corpora.
    static let author = try! NodeKey(seed: Data(repeating: 0xA1, count: 32))
    /// The node that reads them.
    static let reader = try! NodeKey(seed: Data(repeating: 0xB2, count: 32))
    /// Seals what `author` sends to `reader`.
    static let authorCipher = try! ChannelCipher(local: author, peer: reader.id)
    /// Opens it.
    static let readerCipher = try! ChannelCipher(local: reader, peer: author.id)

    /// The reader's view of its peers: `author` only.
    static func cipher(for id: NodeID) -> ChannelCipher? {
        id == author.id ? readerCipher : nil
    }

    /// The time the seeds are written at and the readers check against: 2026-11-25T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_795_608_000)
}
