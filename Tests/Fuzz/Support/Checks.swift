import Foundation

/// The input of one run as `Data` (a copy: the readers take `Data`, as the node hands them).
func input(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> Data {
    Data(bytes: bytes, count: size)
}

/// Stops the run, as a crash libFuzzer reports and keeps, when a property the project
/// states for a reader does not hold (two readers of the same bytes disagree, say):
/// such an input is a bug as surely as a trap is.
func require(_ condition: @autoclosure () -> Bool, _ property: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property broken: \(property())") }
}

/// What Foundation's `JSONDecoder` reads from `data`: the reader every faster path of
/// `WireJSON.decode` must agree with wherever that path accepts a document.
func foundationDecode<T: Decodable>(_ type: T.Type, _ data: Data) -> T? {
    try? JSONDecoder().decode(type, from: data)
}

/// Checks that the faster readers' values, where they read one, are what `JSONDecoder`
/// reads from the same bytes (`ExactJSONReadable` and `JSONValueReadable` promise it);
/// `JSONDecoder` reads once, and only when a faster reader took the bytes.
func requireAgrees<T: Decodable & Equatable>(_ data: Data, _ readers: (name: String, value: T?)...) {
    guard readers.contains(where: { $0.value != nil }) else { return }
    let decoded = foundationDecode(T.self, data)
    for reader in readers where reader.value != nil {
        require(reader.value == decoded, "\(reader.name) reads \(T.self) otherwise than JSONDecoder")
    }
}
