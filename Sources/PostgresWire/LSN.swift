/// A position in the PostgreSQL write-ahead log (a `pg_lsn`).
///
/// PostgreSQL prints an LSN as two hexadecimal halves separated by a slash, `16/B374D848`; the value is the byte
/// offset into the WAL stream. LSNs are ordered, and the difference of two is a distance in bytes.
public struct LSN: Sendable, Hashable, Comparable, Codable {
    /// The byte position in the WAL.
    public var value: UInt64

    /// `0/0`: "no position". As a start position it means "where the slot stands".
    public static let zero = LSN(0)

    /// Creates an LSN from its 64-bit value.
    /// - Parameter value: the byte position in the WAL.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses the `X/Y` form PostgreSQL prints (each half 1 to 8 hexadecimal digits).
    /// - Parameter string: for example `"16/B374D848"`.
    /// - Returns: `nil` when the string is not an LSN.
    public init?(_ string: some StringProtocol) {
        let parts = string.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
            (1...8).contains(parts[0].count), (1...8).contains(parts[1].count),
            let high = UInt32(parts[0], radix: 16), let low = UInt32(parts[1], radix: 16)
        else {
            return nil
        }
        self.value = UInt64(high) << 32 | UInt64(low)
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.value < rhs.value }

    /// The number of WAL bytes from `other` to `self` (negative when `other` is ahead).
    /// - Parameter other: the earlier position.
    /// - Returns: `self - other` in bytes.
    public func distance(from other: LSN) -> Int64 {
        Int64(bitPattern: self.value &- other.value)
    }

    /// Moves the position by a number of bytes.
    /// - Parameter bytes: how far to move forward (negative: backward).
    /// - Returns: the new position.
    public func advanced(by bytes: Int64) -> LSN {
        LSN(UInt64(bitPattern: Int64(bitPattern: self.value) &+ bytes))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let lsn = LSN(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an LSN (X/Y)")
        }
        self = lsn
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}

extension LSN: CustomStringConvertible, LosslessStringConvertible {
    /// The `X/Y` form, upper-case hexadecimal, as PostgreSQL prints it.
    public var description: String {
        String(self.value >> 32, radix: 16, uppercase: true) + "/"
            + String(self.value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }
}
