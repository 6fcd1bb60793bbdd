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
        // A short String is stored inline, without allocating.
        self.bytes.append(contentsOf: String(value).utf8)
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
        self.bytes.append(UInt8(ascii: "\""))
        var utf8 = value.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: #"\\"#.utf8)
            case 0x0A: self.bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: self.bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: self.bytes.append(contentsOf: #"\t"#.utf8)
            case 0x08: self.bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: self.bytes.append(contentsOf: #"\f"#.utf8)
            case 0x00..<0x20:
                self.bytes.append(contentsOf: #"\u00"#.utf8)
                self.appendHexDigit(byte >> 4)
                self.appendHexDigit(byte & 0x0F)
            case 0xE2:
                // A String is valid UTF-8, so 0xE2 starts a three-byte sequence; U+2028/9 are E2 80 A8/A9.
                let second = utf8.next() ?? 0
                let third = utf8.next() ?? 0
                if second == 0x80 && (third == 0xA8 || third == 0xA9) {
                    self.bytes.append(contentsOf: third == 0xA8 ? #"\u2028"#.utf8 : #"\u2029"#.utf8)
                } else {
                    self.bytes.append(contentsOf: [byte, second, third])
                }
            default:
                self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Appends text that is already valid JSON (for example `json`/`jsonb` as PostgreSQL prints it).
    /// - Parameter json: the JSON text, written unchanged.
    public mutating func writeRawJSON(_ json: String) {
        self.bytes.append(contentsOf: json.utf8)
    }

    private mutating func appendHexDigit(_ value: UInt8) {
        self.bytes.append(value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10)
    }
}
