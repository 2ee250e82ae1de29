import Foundation
@testable import PenPalsCore

// The small JSON reader under every protocol payload (JSONValue.parse), and the scan for
// a repeated key that WireJSON.decode runs before it hands anything to JSONDecoder.
// What the reader takes must be JSON (JSONSerialization reads it too), and a document
// written again with the node's JSONWriter must read back as the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    let duplicate = JSONValue.duplicateKey(in: data)
    guard let value = JSONValue.parse(data) else { return 0 }
    require(duplicate == nil, "a document read whole has a repeated key")
    require((try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil, "JSONValue reads what is not JSON")
    guard let writable = writable(value) else { return 0 }
    var json = JSONWriter()
    write(writable, to: &json)
    require(JSONValue.parse(json.data) == writable, "a document written again reads otherwise")
    return 0
}

/// `value` as JSONWriter can write it, or nil: it has no arrays (an array of n values
/// becomes the object of members "0"…"n-1"), and it does not escape keys (the node
/// writes only its own), so a key that needs escaping leaves the document out.
private func writable(_ value: JSONValue) -> JSONValue? {
    switch value {
    case .string, .integer, .bool, .null: return value
    case .array(let elements):
        return writable(.object(Dictionary(uniqueKeysWithValues: elements.enumerated().map { ("\($0.offset)", $0.element) })))
    case .object(let members):
        var result: [String: JSONValue] = [:]
        for (key, member) in members {
            guard !key.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
                  let member = writable(member) else { return nil }
            result[key] = member
        }
        return .object(result)
    }
}

private func write(_ value: JSONValue, to json: inout JSONWriter) {
    switch value {
    case .string(let text): json.string(text)
    case .integer(let number): json.integer(number)
    case .bool(let flag): json.bool(flag)
    case .null: json.null()
    case .array: preconditionFailure("writable(_:) leaves no arrays")
    case .object(let members):
        json.beginObject()
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            json.key(key)
            write(member, to: &json)
        }
        json.endObject()
    }
}
