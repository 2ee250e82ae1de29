import PenPalsCore

// The sealed body of a `decline` event, `{invitation_id, reason?}`, as EventSealing.open
// reads it once the seal is open: the plaintext, fuzzed directly, since the Event target
// reaches a body only through a real seal, which any mutation breaks (see
// Support/Readers.swift).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    readBody(.decline, input(bytes, size))
    return 0
}
