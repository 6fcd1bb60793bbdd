import NIOCore

/// A cursor over the bytes of one text value, for the date/time, interval and array parsers.
///
/// Hot parsers scan an `UnsafeBufferPointer` (see ``NIOCore/ByteBufferView/withBytes(_:)``): reading a
/// `ByteBufferView` byte by byte costs a dynamic exclusivity check on the buffer's storage for every byte.
struct TextScanner<Bytes: RandomAccessCollection<UInt8>> where Bytes.Index == Int {
    let bytes: Bytes
    var index: Int

    init(_ bytes: Bytes) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var isAtEnd: Bool { self.index >= self.bytes.endIndex }

    var peek: UInt8? { self.isAtEnd ? nil : self.bytes[self.index] }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard self.peek == byte else { return false }
        self.index += 1
        return true
    }

    /// Consumes `text` if it comes next.
    mutating func consume(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard self.bytes.endIndex - self.index >= count else { return false }
        let matches = text.withUTF8Buffer { expected in
            expected.elementsEqual(self.bytes[self.index..<(self.index + count)])
        }
        if matches { self.index += count }
        return matches
    }

    mutating func expect(_ byte: UInt8) throws(DecodeFailure) {
        guard self.consume(byte) else {
            throw DecodeFailure(.malformedText, "expected '\(Character(UnicodeScalar(byte)))' at offset \(self.offset)")
        }
    }

    var offset: Int { self.index - self.bytes.startIndex }

    /// Reads `minimum` to `maximum` decimal digits.
    mutating func readDigits(minimum: Int = 1, maximum: Int = 18) throws(DecodeFailure) -> Int64 {
        var value: Int64 = 0
        var count = 0
        while count < maximum, let byte = self.peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            count += 1
            self.index += 1
        }
        guard count >= minimum else {
            throw DecodeFailure(.malformedText, "expected \(minimum) or more digits at offset \(self.offset)")
        }
        return value
    }

    /// Reads an optional `+` or `-`; returns -1 for `-`.
    mutating func readSign() -> Int64 {
        if self.consume(UInt8(ascii: "-")) { return -1 }
        _ = self.consume(UInt8(ascii: "+"))
        return 1
    }

    /// Reads `.ffffff` (1 to 6 digits) if present, as microseconds.
    mutating func readFraction() throws(DecodeFailure) -> Int64 {
        guard self.consume(UInt8(ascii: ".")) else { return 0 }
        let start = self.index
        var value = try self.readDigits(minimum: 1, maximum: 6)
        for _ in (self.index - start)..<6 {
            value *= 10
        }
        return value
    }

    func requireEnd() throws(DecodeFailure) {
        guard self.isAtEnd else {
            throw DecodeFailure(.malformedText, "unexpected text at offset \(self.offset)")
        }
    }
}

extension ByteBufferView {
    /// Calls `body` with the bytes as one contiguous buffer, which a `ByteBufferView` always has.
    /// - Parameter body: reads the bytes; the buffer is valid only during the call.
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws(DecodeFailure) -> T) throws(DecodeFailure) -> T {
        var result: Result<T, DecodeFailure>?
        _ = self.withContiguousStorageIfAvailable { buffer in
            result = Result { () throws(DecodeFailure) -> T in try body(buffer) }
        }
        if let result { return try result.get() }
        return try Array(self).withUnsafeBufferPointer { buffer throws(DecodeFailure) -> T in try body(buffer) }
    }
}
