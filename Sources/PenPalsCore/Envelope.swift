import Foundation

/// The only thing that crosses between nodes: payload bytes and their Ed25519
/// signature, both base64url. The signature covers the bytes exactly as sent,
/// so the payload is kept as bytes and never re-serialised.
public struct SignedEnvelope: Sendable, Equatable, Codable {
    public let payload: Data
    public let signature: Data

    public init(payload: Data, signature: Data) {
        self.payload = payload
        self.signature = signature
    }

    public static func sign(_ payload: Data, with key: NodeKey) -> SignedEnvelope {
        SignedEnvelope(payload: payload, signature: key.sign(payload))
    }

    public func isSigned(by author: NodeID) -> Bool {
        author.verifies(signature, of: payload)
    }

    enum CodingKeys: String, CodingKey {
        case payload
        case signature = "sig"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let payloadText = try container.decode(String.self, forKey: .payload)
        let sigText = try container.decode(String.self, forKey: .signature)
        guard let payload = Base64URL.decode(payloadText) else {
            throw DecodingError.dataCorruptedError(forKey: .payload, in: container, debugDescription: "payload is not base64url")
        }
        guard let sig = Base64URL.decode(sigText) else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "sig is not base64url")
        }
        self.init(payload: payload, signature: sig)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Base64URL.encode(payload), forKey: .payload)
        try container.encode(Base64URL.encode(signature), forKey: .signature)
    }

    /// The envelope as its JSON object, written directly (no encoder round trip).
    public var jsonData: Data {
        // base64url never needs escaping in JSON: the bytes go in as they are.
        let payloadText = Base64URL.encodedBytes(payload), signatureText = Base64URL.encodedBytes(signature)
        var out = Data(capacity: payloadText.count + signatureText.count + 24)
        out.append(contentsOf: #"{"payload":""#.utf8)
        out.append(contentsOf: payloadText)
        out.append(contentsOf: #"","sig":""#.utf8)
        out.append(contentsOf: signatureText)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }
}

/// JSON coding shared by every payload: sorted keys, unescaped slashes.
public enum WireJSON {
    public static func encode<T: Encodable>(_ value: T) -> Data {
        if let writable = value as? any JSONValueWritable {
            var json = JSONWriter()
            writable.write(to: &json)
            return json.data
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own value types cannot fail.
        return try! encoder.encode(value)
    }

    /// Reads `type` from JSON: from a node's exact form where the type has one (see
    /// `ExactJSONReadable`), else with the small reader where the type allows it (see
    /// `JSONValueReadable`), else, or for anything neither takes, with `JSONDecoder`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if let exact = T.self as? any ExactJSONReadable.Type, let value = exact.init(exactJSON: data) as? T {
            return value
        }
        if let readable = T.self as? any JSONValueReadable.Type, let json = JSONValue.parse(data),
           let value = readable.init(json: json) as? T {
            return value
        }
        if let key = JSONValue.duplicateKey(in: data) {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the key \"\(key.prefix(64))\" stands twice in one object"))
        }
        return try JSONDecoder().decode(type, from: data)
    }
}
