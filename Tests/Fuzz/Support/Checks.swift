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

/// Checks that a faster reader's value, where it read one, is what `JSONDecoder` reads
/// from the same bytes (`ExactJSONReadable` and `JSONValueReadable` promise it).
func requireAgrees<T: Decodable & Equatable>(_ fast: T?, _ data: Data, _ reader: String) {
    guard let fast else { return }
    require(foundationDecode(T.self, data) == fast, "\(reader) reads \(T.self) otherwise than JSONDecoder")
}
