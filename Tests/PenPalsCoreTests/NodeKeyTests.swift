import Foundation
import Testing
@testable import PenPalsCore

@Suite("NodeKey")
struct NodeKeyTests {
    let message = Data("{\"v\":1,\"hello\":\"world\"}".utf8)

    @Test("a signature of a generated key verifies under its node id")
    func signVerify() {
        let key = NodeKey.generate()
        let signature = key.sign(message)
        #expect(signature.count == 64)
        #expect(key.secretKey.count == 64)
        #expect(key.secretKey.suffix(32) == key.id.publicKey)
        #expect(key.id.verifies(signature, of: message))
    }

    @Test("verification fails for a changed message byte")
    func changedMessage() {
        let key = NodeKey.generate()
        let signature = key.sign(message)
        for index in [0, message.count / 2, message.count - 1] {
            var changed = message
            changed[index] ^= 0x01
            #expect(!key.id.verifies(signature, of: changed))
        }
        #expect(!key.id.verifies(signature, of: message + Data([0x20])))
        #expect(!key.id.verifies(signature, of: message.dropLast()))
    }

    @Test("verification fails for a changed signature byte or a signature of the wrong length")
    func changedSignature() {
        let key = NodeKey.generate()
        let signature = key.sign(message)
        for index in [0, 31, 32, 63] {
            var changed = signature
            changed[index] ^= 0x80
            #expect(!key.id.verifies(changed, of: message))
        }
        #expect(!key.id.verifies(signature.dropLast(), of: message))
        #expect(!key.id.verifies(signature + Data([0]), of: message))
        #expect(!key.id.verifies(Data(), of: message))
    }

    @Test("verification fails under another node's id")
    func otherNode() {
        let key = NodeKey.generate(), other = NodeKey.generate()
        #expect(key.id != other.id)
        #expect(!other.id.verifies(key.sign(message), of: message))
    }

    @Test("restoring from the secret key gives the same id and signatures that verify")
    func restore() throws {
        let key = NodeKey.generate()
        let restored = try NodeKey(secretKey: key.secretKey)
        #expect(restored.id == key.id)
        #expect(restored.secretKey == key.secretKey)
        #expect(key.id.verifies(restored.sign(message), of: message))
        // Ed25519 is deterministic: the same key signs the same bytes alike.
        #expect(restored.sign(message) == key.sign(message))
    }

    @Test("refuses a secret key that is not 64 bytes", arguments: [0, 32, 63, 65])
    func refusesWrongLength(count: Int) {
        let secret = NodeKey.generate().secretKey
        let data = Data((secret + secret).prefix(count))
        #expect {
            _ = try NodeKey(secretKey: data)
        } throws: { error in
            guard case CryptoError.badKey = error else { return false }
            return true
        }
    }

    @Test("refuses a secret key whose public half was altered")
    func refusesAlteredPublicHalf() {
        var secret = NodeKey.generate().secretKey
        secret[40] ^= 0x01
        let altered = secret
        #expect {
            _ = try NodeKey(secretKey: altered)
        } throws: { error in
            guard case CryptoError.badKey = error else { return false }
            return true
        }
    }
}
