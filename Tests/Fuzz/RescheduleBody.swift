import PenPalsCore

// The sealed body of a `reschedule` event (version 1.1, docs/protocol.md §13), as
// EventSealing.open reads it once the seal is open: the plaintext, fuzzed directly
// (see Support/Readers.swift). What it takes must read back the same once written.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    readBody(.reschedule, input(bytes, size))
    return 0
}
