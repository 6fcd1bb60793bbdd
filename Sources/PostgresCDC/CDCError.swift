public import PostgresWire

/// An error of the CDC pipeline: setup problems (publication missing, wal_level, privileges, slot in use),
/// stream problems, and the consumer's own errors.
///
/// ``description`` is one sentence saying what to do; ``debugDescription`` carries everything.
public struct CDCError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure. Extensible: match on the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connection, configuration, publicationMissing, walLevel, privilege, slotInUse, slotMissing
            case protocolViolation, decoding, handler, catalog, snapshot, checkpoint, wrongDatabase, failover
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Could not connect or the connection failed beyond the retry policy.
        public static let connection = Code(.connection)
        /// The configuration is invalid.
        public static let configuration = Code(.configuration)
        /// A configured publication does not exist.
        public static let publicationMissing = Code(.publicationMissing)
        /// `wal_level` is not `logical`.
        public static let walLevel = Code(.walLevel)
        /// The user may not replicate or read what is needed.
        public static let privilege = Code(.privilege)
        /// The slot is used by another connection.
        public static let slotInUse = Code(.slotInUse)
        /// The slot does not exist and may not be created.
        public static let slotMissing = Code(.slotMissing)
        /// The stream broke the pgoutput protocol.
        public static let protocolViolation = Code(.protocolViolation)
        /// A pgoutput message could not be decoded.
        public static let decoding = Code(.decoding)
        /// The consumer's handler threw.
        public static let handler = Code(.handler)
        /// A catalog lookup failed.
        public static let catalog = Code(.catalog)
        /// The initial snapshot failed.
        public static let snapshot = Code(.snapshot)
        /// The checkpoint could not be read or written.
        public static let checkpoint = Code(.checkpoint)
        /// The server is not the database the checkpoint belongs to.
        public static let wrongDatabase = Code(.wrongDatabase)
        /// Failover recovery failed or is impossible without data loss.
        public static let failover = Code(.failover)

        public var description: String { self.base.rawValue }
    }

    /// What kind of failure.
    public var code: Code
    /// What went wrong and what to do, in one sentence without secrets.
    public var reason: String
    /// The slot concerned.
    public var slot: String?
    /// The WAL position concerned.
    public var lsn: LSN?
    /// The relation concerned.
    public var relation: String?
    /// The cause (often a `PostgresWireError` with host and server fields).
    public var underlying: (any Error)?
    /// Where in our code.
    public var file: String
    /// Where in our code.
    public var line: Int

    /// Creates an error.
    public init(
        _ code: Code,
        _ reason: String,
        slot: String? = nil,
        lsn: LSN? = nil,
        relation: String? = nil,
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.slot = slot
        self.lsn = lsn
        self.relation = relation
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        if let wire = self.underlying as? PostgresWireError, !self.reason.contains(wire.description) {
            return "\(self.reason): \(wire.description)"
        }
        return self.reason
    }

    public var debugDescription: String {
        var parts = ["CDCError(code: \(code)", "reason: \(reason)"]
        if let slot { parts.append("slot: \(slot)") }
        if let lsn { parts.append("lsn: \(lsn)") }
        if let relation { parts.append("relation: \(relation)") }
        if let underlying { parts.append("underlying: \(String(reflecting: underlying))") }
        parts.append("at: \(file):\(line))")
        return parts.joined(separator: ", ")
    }
}
