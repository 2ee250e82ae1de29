import CSodium
import Foundation

/// Seals and opens event bodies between this node and one peer.
///
/// The wire format is `nonce || crypto_box_easy(body)` with Curve25519 keys converted
/// from the two Ed25519 keys. The shared key is computed once per peer
/// (`crypto_box_beforenm`); the `_afternm` calls give byte-identical boxes.
public struct ChannelCipher: Sendable {
    public let peer: NodeID
    private let sharedKey: [UInt8]

    public init(local: NodeKey, peer: NodeID) throws(CryptoError) {
        Sodium.ready()
        guard let peerCurve = peer.curvePublicKey() else { throw .badKey("\(peer) is not a valid Ed25519 public key") }
        var shared = [UInt8](repeating: 0, count: Int(crypto_box_BEFORENMBYTES))
        guard crypto_box_beforenm(&shared, peerCurve, local.curveSecretKey()) == 0 else {
            throw .badKey("cannot derive a shared key with \(peer)")
        }
        self.peer = peer
        self.sharedKey = shared
    }

    /// 24-byte random nonce followed by the box.
    public func seal(_ body: Data) -> Data {
        let nonceCount = Int(crypto_box_NONCEBYTES)
        let nonce = [UInt8](Sodium.randomBytes(nonceCount))
        var cipher = [UInt8](repeating: 0, count: body.count + Int(crypto_box_MACBYTES))
        body.withUnsafeBytes { m in
            _ = crypto_box_easy_afternm(&cipher, m.bindMemory(to: UInt8.self).baseAddress, UInt64(body.count), nonce, sharedKey)
        }
        return Data(nonce) + Data(cipher)
    }

    public func open(_ sealed: Data) throws(CryptoError) -> Data {
        let nonceCount = Int(crypto_box_NONCEBYTES)
        let macCount = Int(crypto_box_MACBYTES)
        guard sealed.count >= nonceCount + macCount else { throw .cannotOpen }
        let bytes = [UInt8](sealed)
        var plain = [UInt8](repeating: 0, count: bytes.count - nonceCount - macCount)
        let result = bytes.withUnsafeBufferPointer { buffer in
            crypto_box_open_easy_afternm(
                &plain, buffer.baseAddress! + nonceCount, UInt64(bytes.count - nonceCount),
                buffer.baseAddress!, sharedKey)
        }
        guard result == 0 else { throw .cannotOpen }
        return Data(plain)
    }
}

/// Symmetric encryption for secrets at rest (WebEx tokens): `nonce || crypto_secretbox_easy`.
public struct SecretBox: Sendable {
    private let key: [UInt8]

    /// A box keyed by a hash of the node's secret key and a purpose label, so the
    /// key file alone unlocks the node's stored secrets.
    public init(nodeKey: NodeKey, purpose: String) {
        Sodium.ready()
        var key = [UInt8](repeating: 0, count: Int(crypto_secretbox_KEYBYTES))
        let material = [UInt8](nodeKey.secretKey) + Array("penpals:\(purpose)".utf8)
        crypto_generichash(&key, key.count, material, UInt64(material.count), nil, 0)
        self.key = key
    }

    public func seal(_ plain: Data) -> Data {
        let nonce = [UInt8](Sodium.randomBytes(Int(crypto_secretbox_NONCEBYTES)))
        var cipher = [UInt8](repeating: 0, count: plain.count + Int(crypto_secretbox_MACBYTES))
        let p = [UInt8](plain)
        crypto_secretbox_easy(&cipher, p, UInt64(p.count), nonce, key)
        return Data(nonce) + Data(cipher)
    }

    public func open(_ sealed: Data) throws(CryptoError) -> Data {
        let nonceCount = Int(crypto_secretbox_NONCEBYTES)
        guard sealed.count >= nonceCount + Int(crypto_secretbox_MACBYTES) else { throw .cannotOpen }
        let bytes = [UInt8](sealed)
        var plain = [UInt8](repeating: 0, count: bytes.count - nonceCount - Int(crypto_secretbox_MACBYTES))
        let result = crypto_secretbox_open_easy(&plain, Array(bytes[nonceCount...]), UInt64(bytes.count - nonceCount), Array(bytes[..<nonceCount]), key)
        guard result == 0 else { throw .cannotOpen }
        return Data(plain)
    }
}
