/// A small, fast JSON writer that appends UTF-8 to a byte array.
///
/// It writes what it is told and checks nothing about structure: the caller opens and closes objects and
/// arrays and places the separators (``comma()``, ``colon()``). Strings are escaped as RFC 8259 requires, plus
/// U+2028 and U+2029 so that the output is also valid JavaScript.
public struct JSONWriter: Sendable {
    /// The JSON written so far.
    public var bytes: [UInt8]

    /// Creates a writer.
    /// - Parameter capacity: the number of bytes to reserve.
    public init(capacity: Int = 256) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// The JSON written so far, as a string.
    public var string: String { String(decoding: self.bytes, as: UTF8.self) }

    /// Writes `{`.
    public mutating func beginObject() { self.bytes.append(UInt8(ascii: "{")) }
    /// Writes `}`.
    public mutating func endObject() { self.bytes.append(UInt8(ascii: "}")) }
    /// Writes `[`.
    public mutating func beginArray() { self.bytes.append(UInt8(ascii: "[")) }
    /// Writes `]`.
    public mutating func endArray() { self.bytes.append(UInt8(ascii: "]")) }
    /// Writes `,`.
    public mutating func comma() { self.bytes.append(UInt8(ascii: ",")) }
    /// Writes `:`.
    public mutating func colon() { self.bytes.append(UInt8(ascii: ":")) }
    /// Writes `null`.
    public mutating func writeNull() { self.bytes.append(contentsOf: "null".utf8) }

    /// Writes an object key and the colon after it.
    /// - Parameter key: the key.
    public mutating func writeKey(_ key: String) {
        self.writeString(key)
        self.colon()
    }

    /// Writes `true` or `false`.
    /// - Parameter value: the value.
    public mutating func writeBool(_ value: Bool) {
        self.bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    /// Writes an integer.
    /// - Parameter value: the value.
    public mutating func writeInt(_ value: Int64) {
        // Digits are formatted right to left into a small stack buffer and appended in one go: no String, no
        // per-byte append (each of which checks the array's uniqueness and capacity).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            // The magnitude as UInt64, so that Int64.min does not overflow.
            var magnitude = value.magnitude
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { self.bytes.append(UInt8(ascii: "-")) }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Writes a finite double as a JSON number, and NaN/±infinity as the strings `"NaN"`, `"Infinity"`,
    /// `"-Infinity"` (JSON has no numbers for them).
    /// - Parameter value: the value.
    public mutating func writeDouble(_ value: Double) {
        if value.isNaN {
            self.writeString("NaN")
        } else if value.isInfinite {
            self.writeString(value < 0 ? "-Infinity" : "Infinity")
        } else {
            // Swift prints the shortest representation that round-trips; JSON has no "1e+20" problem with it.
            self.bytes.append(contentsOf: "\(value)".utf8)
        }
    }

    /// Writes a JSON string, escaping quotes, backslashes, control characters, U+2028 and U+2029.
    /// - Parameter value: the string.
    public mutating func writeString(_ value: String) {
        var value = value
        // Native strings are contiguous UTF-8; `makeContiguousUTF8` only copies the rare bridged or lazy one.
        value.makeContiguousUTF8()
        let written: Void? = value.utf8.withContiguousStorageIfAvailable { utf8 in
            self.writeString(utf8: utf8)
        }
        if written == nil { self.writeString(utf8: Array(value.utf8)) }
    }

    /// Writes valid UTF-8 as a JSON string. Runs of bytes that need no escaping are appended in one go.
    /// - Parameter utf8: valid UTF-8 (escaping relies on it).
    mutating func writeString(utf8: some RandomAccessCollection<UInt8>) {
        self.bytes.reserveCapacity(self.bytes.count + utf8.count + 2)
        self.bytes.append(UInt8(ascii: "\""))
        var runStart = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            // Everything from 0x20 up is written as is, except `"`, `\\` and the lead byte of U+2028/U+2029.
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0xE2 {
                index = utf8.index(after: index)
                continue
            }
            self.bytes.append(contentsOf: utf8[runStart..<index])
            index = utf8.index(after: index)
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: #"\\"#.utf8)
            case 0x0A: self.bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: self.bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: self.bytes.append(contentsOf: #"\t"#.utf8)
            case 0x08: self.bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: self.bytes.append(contentsOf: #"\f"#.utf8)
            case 0xE2:
                // Valid UTF-8, so 0xE2 starts a three-byte sequence; U+2028/9 are E2 80 A8/A9.
                let second = index != utf8.endIndex ? utf8[index] : 0
                let thirdIndex = index != utf8.endIndex ? utf8.index(after: index) : index
                let third = thirdIndex != utf8.endIndex ? utf8[thirdIndex] : 0
                if second == 0x80 && (third == 0xA8 || third == 0xA9) {
                    self.bytes.append(contentsOf: third == 0xA8 ? #"\u2028"#.utf8 : #"\u2029"#.utf8)
                    index = utf8.index(after: thirdIndex)
                } else {
                    // Any other character starting with E2: written as is with the rest of the run.
                    self.bytes.append(byte)
                }
            default:
                self.bytes.append(contentsOf: #"\u00"#.utf8)
                self.appendHexDigit(byte >> 4)
                self.appendHexDigit(byte & 0x0F)
            }
            runStart = index
        }
        self.bytes.append(contentsOf: utf8[runStart..<utf8.endIndex])
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Appends text that is already valid JSON (for example `json`/`jsonb` as PostgreSQL prints it).
    /// - Parameter json: the JSON text, written unchanged.
    public mutating func writeRawJSON(_ json: String) {
        self.bytes.append(contentsOf: json.utf8)
    }

    /// Appends a JSON document as PostgreSQL's `json` type prints it (its input text, as stored), on one line: a
    /// line break in it can only be whitespace between tokens (JSON strings cannot hold raw control characters),
    /// so it is written as a space and the output stays one value per line.
    /// - Parameter json: the document's UTF-8 bytes.
    public mutating func writeJSONText(utf8 json: some Collection<UInt8>) {
        let start = self.bytes.count
        self.bytes.append(contentsOf: json)
        var index = start
        while index < self.bytes.count {
            if self.bytes[index] == UInt8(ascii: "\n") || self.bytes[index] == UInt8(ascii: "\r") {
                self.bytes[index] = UInt8(ascii: " ")
            }
            index += 1
        }
    }

    private mutating func appendHexDigit(_ value: UInt8) {
        self.bytes.append(value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10)
    }
}
