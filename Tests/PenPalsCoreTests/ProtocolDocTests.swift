import CSodium
import Foundation
@testable import PenPalsCore
import Testing

/// docs/protocol.md's worked example (Appendix A) is what this node's code makes and
/// takes, byte for byte: a second implementation checks itself against that text, so
/// the text must not drift from the code.
@Suite("The protocol document's worked example")
struct ProtocolDocTests {
    static let document: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/protocol.md")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// The appendix's one-line JSON documents, in order.
    static var appendixJSON: [String] {
        guard let start = document.range(of: "## Appendix A") else { return [] }
        return document[start.upperBound...].split(separator: "\n").map(String.init).filter { $0.hasPrefix("{") }
    }

    static func key(seedText: String) throws -> NodeKey {
        var seed = [UInt8](repeating: 0, count: 32)
        let text = Array(seedText.utf8)
        _ = crypto_hash_sha256(&seed, text, UInt64(text.count))
        return try NodeKey(seed: Data(seed))
    }

    @Test func theExampleEnvelopesAreTheBytesThisNodeSignsAndOpens() throws {
        let room12 = try Self.key(seedText: "penpals example room-12")
        let kobe = try Self.key(seedText: "penpals example kobe-4b")
        #expect(Self.document.contains(room12.id.rawValue) && Self.document.contains(kobe.id.rawValue), "the node ids of the seeds")
        let documents = Self.appendixJSON
        try #require(documents.count >= 4, "body, payload, envelope, acknowledgement: \(documents.count)")
        let (body, payload, envelopeText, ackText) = (documents[0], documents[1], documents[2], documents[3])

        // The envelope carries the payload's exact bytes, and its signature is room-12's
        // of them (Ed25519 is deterministic: signing again gives the same bytes).
        let envelope = try WireJSON.decode(SignedEnvelope.self, from: Data(envelopeText.utf8))
        #expect(String(decoding: envelope.payload, as: UTF8.self) == payload)
        #expect(envelope == .sign(Data(payload.utf8), with: room12))
        #expect(String(decoding: envelope.jsonData, as: UTF8.self) == envelopeText, "written exactly so")

        // kobe-4b opens it: the sealed body is the one shown.
        let cipher = try ChannelCipher(local: kobe, peer: room12.id)
        let opened = try EventSealing.open(envelope, localID: kobe.id) { $0 == room12.id ? cipher : nil }
        #expect(opened.payload.seq == 1 && opened.payload.type == .invitation)
        #expect(String(decoding: opened.bodyJSON, as: UTF8.self) == body)

        // The acknowledgement is kobe-4b's signature of its clock, as this node writes it.
        let ack = try WireJSON.decode(SignedEnvelope.self, from: Data(ackText.utf8))
        #expect(ack.isSigned(by: kobe.id))
        let message = try ClockMessage.open(ack, expectedAuthor: kobe.id, localID: room12.id) { $0 == kobe.id }
        #expect(message.1.applied == 1 && message.1.sent == 0, "kobe-4b has applied room-12's event 1")
        #expect(ack == .sign(ack.payload, with: kobe))
    }
}
