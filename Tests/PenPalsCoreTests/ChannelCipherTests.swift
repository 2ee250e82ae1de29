import Foundation
import Testing
@testable import PenPalsCore

@Suite("ChannelCipher")
struct ChannelCipherTests {
    let nodes = Nodes()
    let body = Data(#"{"invitation_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","title":"Hello"}"#.utf8)

    @Test("what A seals for B, B opens with A's id")
    func sealOpen() throws {
        let sealed = nodes.cipher(nodes.a, nodes.b).seal(body)
        #expect(sealed.count == 24 + 16 + body.count)
        #expect(try ChannelCipher(local: nodes.b, peer: nodes.a.id).open(sealed) == body)
        // The box is symmetric for the pair: A can open what it sealed for B.
        #expect(try nodes.cipher(nodes.a, nodes.b).open(sealed) == body)
    }

    @Test("an empty body seals and opens")
    func emptyBody() throws {
        let sealed = nodes.cipher(nodes.a, nodes.b).seal(Data())
        #expect(sealed.count == 40)
        #expect(try nodes.cipher(nodes.b, nodes.a).open(sealed) == Data())
    }

    @Test("a third node cannot open it, whichever peer it assumes")
    func thirdNode() {
        let sealed = nodes.cipher(nodes.a, nodes.b).seal(body)
        #expect(throws: CryptoError.cannotOpen) { try nodes.cipher(nodes.c, nodes.a).open(sealed) }
        #expect(throws: CryptoError.cannotOpen) { try nodes.cipher(nodes.c, nodes.b).open(sealed) }
        // B assuming the wrong sender cannot open it either.
        #expect(throws: CryptoError.cannotOpen) { try nodes.cipher(nodes.b, nodes.c).open(sealed) }
    }

    @Test("a flipped byte anywhere (nonce, MAC or text) makes it unopenable")
    func flippedByte() {
        let sealed = nodes.cipher(nodes.a, nodes.b).seal(body)
        let receiver = nodes.cipher(nodes.b, nodes.a)
        for index in [0, 23, 24, 39, 40, sealed.count - 1] {
            var changed = sealed
            changed[index] ^= 0x01
            #expect(throws: CryptoError.cannotOpen) { try receiver.open(changed) }
        }
    }

    @Test("a box shorter than nonce and MAC is refused", arguments: [0, 1, 24, 39])
    func tooShort(count: Int) {
        let sealed = nodes.cipher(nodes.a, nodes.b).seal(body)
        #expect(throws: CryptoError.cannotOpen) { try nodes.cipher(nodes.b, nodes.a).open(sealed.prefix(count)) }
    }

    @Test("two seals of the same body differ (random nonce) and both open")
    func randomNonce() throws {
        let cipher = nodes.cipher(nodes.a, nodes.b)
        let one = cipher.seal(body), two = cipher.seal(body)
        #expect(one != two)
        #expect(one.prefix(24) != two.prefix(24))
        let receiver = nodes.cipher(nodes.b, nodes.a)
        #expect(try receiver.open(one) == body)
        #expect(try receiver.open(two) == body)
    }

    @Test("a peer id that is not a usable Ed25519 point is refused")
    func badPeerKey() {
        #expect {
            _ = try ChannelCipher(local: nodes.a, peer: NodeID(publicKey: Data(count: 32)))
        } throws: { error in
            guard case CryptoError.badKey = error else { return false }
            return true
        }
    }
}

@Suite("SecretBox")
struct SecretBoxTests {
    let key = NodeKey.generate()
    let secret = Data(#"{"access_token":"abc","refresh_token":"def"}"#.utf8)

    @Test("round trip, also with a box made again from the same key and purpose")
    func roundTrip() throws {
        let sealed = SecretBox(nodeKey: key, purpose: "webex").seal(secret)
        #expect(sealed.count == 24 + 16 + secret.count)
        #expect(try SecretBox(nodeKey: key, purpose: "webex").open(sealed) == secret)
        let restored = try NodeKey(secretKey: key.secretKey)
        #expect(try SecretBox(nodeKey: restored, purpose: "webex").open(sealed) == secret)
    }

    @Test("another purpose or another node's key cannot open it")
    func otherKey() {
        let sealed = SecretBox(nodeKey: key, purpose: "webex").seal(secret)
        #expect(throws: CryptoError.cannotOpen) { try SecretBox(nodeKey: key, purpose: "webex2").open(sealed) }
        #expect(throws: CryptoError.cannotOpen) { try SecretBox(nodeKey: NodeKey.generate(), purpose: "webex").open(sealed) }
    }

    @Test("a flipped byte or a short box is refused; seals differ")
    func tamper() {
        let box = SecretBox(nodeKey: key, purpose: "webex")
        let sealed = box.seal(secret)
        #expect(sealed != box.seal(secret))
        for index in [0, 24, sealed.count - 1] {
            var changed = sealed
            changed[index] ^= 0x01
            #expect(throws: CryptoError.cannotOpen) { try box.open(changed) }
        }
        #expect(throws: CryptoError.cannotOpen) { try box.open(sealed.prefix(39)) }
    }
}
