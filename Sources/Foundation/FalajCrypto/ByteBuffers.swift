extension Sequence<UInt8> {
    /// Calls `body` with the sequence's bytes in contiguous memory, copying only when the sequence has no
    /// contiguous storage of its own. The buffer's base address is never nil, even when it is empty, because some
    /// C functions treat a NULL pointer as an error even with a zero length.
    func withContiguousBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        if let result = try withContiguousStorageIfAvailable({ try Self.callNonNil(UnsafeRawBufferPointer($0), body) }) {
            return result
        }
        return try Array(self).withUnsafeBytes { try Self.callNonNil($0, body) }
    }

    private static func callNonNil<Result>(
        _ buffer: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        if buffer.baseAddress != nil {
            return try body(buffer)
        }
        var placeholder: UInt8 = 0
        return try withUnsafeBytes(of: &placeholder) { try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) }
    }
}
