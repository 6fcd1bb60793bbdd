/// The version of the `pgoutput` logical replication protocol (`proto_version`).
///
/// - 1: PostgreSQL 10+, whole transactions only.
/// - 2: PostgreSQL 14+, adds streaming of in-progress transactions.
/// - 3: PostgreSQL 15+, adds two-phase commit.
/// - 4: PostgreSQL 16+, adds parallel streaming (abort LSN and time in Stream Abort).
public struct PGOutputProtocolVersion: RawRepresentable, Sendable, Hashable, Comparable {
    public var rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// Version 1.
    public static let v1 = PGOutputProtocolVersion(rawValue: 1)
    /// Version 2: streamed transactions.
    public static let v2 = PGOutputProtocolVersion(rawValue: 2)
    /// Version 3: two-phase commit.
    public static let v3 = PGOutputProtocolVersion(rawValue: 3)
    /// Version 4: parallel streaming.
    public static let v4 = PGOutputProtocolVersion(rawValue: 4)

    /// The highest version a server of the given major version supports.
    /// - Parameter serverMajorVersion: for example 15.
    /// - Returns: the highest `proto_version` that server accepts.
    public static func highest(forServerMajorVersion serverMajorVersion: Int) -> PGOutputProtocolVersion {
        switch serverMajorVersion {
        case ..<14: .v1
        case 14: .v2
        case 15: .v3
        default: .v4
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
