import CSodium
import Foundation

/// A node's Ed25519 key pair: it signs everything the node sends and, converted to
/// Curve25519, opens what peers seal for it.
public struct NodeKey: Sendable {
    /// libsodium's 64-byte secret key (seed followed by the public key).
    public let secretKey: Data
    public let id: NodeID

    public static func generate() -> NodeKey {
        Sodium.ready()
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_keypair(&pk, &sk)
        return NodeKey(checkedSecret: Data(sk), publicKey: Data(pk))
    }

    /// Restores a key from its 64-byte secret key, checking that its public half matches.
    public init(secretKey: Data) throws(CryptoError) {
        Sodium.ready()
        guard secretKey.count == Int(crypto_sign_SECRETKEYBYTES) else {
            throw .badKey("an Ed25519 secret key has \(crypto_sign_SECRETKEYBYTES) bytes, this one \(secretKey.count)")
        }
        // Rebuild the pair from its seed: a damaged seed or public half shows as a mismatch.
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_seed_keypair(&pk, &sk, [UInt8](secretKey.prefix(Int(crypto_sign_SEEDBYTES))))
        guard Data(sk) == secretKey else { throw .badKey("the secret key's public half does not match its seed") }
        self.init(checkedSecret: secretKey, publicKey: Data(pk))
    }

    /// The key pair of a 32-byte seed: the same seed always gives the same node.
    public init(seed: Data) throws(CryptoError) {
        Sodium.ready()
        guard seed.count == Int(crypto_sign_SEEDBYTES) else { throw .badKey("an Ed25519 seed has \(crypto_sign_SEEDBYTES) bytes") }
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_seed_keypair(&pk, &sk, [UInt8](seed))
        self.init(checkedSecret: Data(sk), publicKey: Data(pk))
    }

    private init(checkedSecret: Data, publicKey: Data) {
        self.secretKey = checkedSecret
        self.id = NodeID(publicKey: publicKey)
    }

    /// The 64-byte detached Ed25519 signature of `message`.
    public func sign(_ message: Data) -> Data {
        var sig = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        let sk = [UInt8](secretKey)
        message.withUnsafeBytes { m in
            _ = crypto_sign_detached(&sig, nil, m.bindMemory(to: UInt8.self).baseAddress, UInt64(message.count), sk)
        }
        return Data(sig)
    }

    /// The Curve25519 secret key used for sealed bodies.
    func curveSecretKey() -> [UInt8] {
        var curve = [UInt8](repeating: 0, count: Int(crypto_box_SECRETKEYBYTES))
        _ = crypto_sign_ed25519_sk_to_curve25519(&curve, [UInt8](secretKey))
        return curve
    }
}

extension NodeID {
    /// Whether `signature` is this node's Ed25519 signature of exactly `message`.
    public func verifies(_ signature: Data, of message: Data) -> Bool {
        Sodium.ready()
        guard signature.count == Int(crypto_sign_BYTES) else { return false }
        let pk = [UInt8](publicKey)
        let sig = [UInt8](signature)
        return message.withUnsafeBytes { m in
            crypto_sign_verify_detached(sig, m.bindMemory(to: UInt8.self).baseAddress, UInt64(message.count), pk) == 0
        }
    }

    /// The Curve25519 public key for sealing to this node; nil for a point that is not a valid Ed25519 key.
    func curvePublicKey() -> [UInt8]? {
        var curve = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        guard crypto_sign_ed25519_pk_to_curve25519(&curve, [UInt8](publicKey)) == 0 else { return nil }
        return curve
    }
}
