extension PGOutputMessage {
    /// `b`: a transaction that will be prepared starts (with `two_phase` on).
    public struct BeginPrepare: Sendable, Hashable {
        /// The LSN of the prepare record.
        public var prepareLSN: UInt64
        /// The end LSN of the prepared transaction.
        public var endLSN: UInt64
        /// The prepare time, in microseconds since 2000-01-01 UTC.
        public var prepareTimestamp: Int64
        /// The transaction id.
        public var xid: UInt32
        /// The global transaction identifier given to `PREPARE TRANSACTION`.
        public var gid: String

        /// Creates a Begin Prepare message.
        /// - Parameters:
        ///   - prepareLSN: the LSN of the prepare record.
        ///   - endLSN: the end LSN of the prepared transaction.
        ///   - prepareTimestamp: the prepare time, µs since 2000-01-01.
        ///   - xid: the transaction id.
        ///   - gid: the global transaction identifier.
        public init(prepareLSN: UInt64, endLSN: UInt64, prepareTimestamp: Int64, xid: UInt32, gid: String) {
            self.prepareLSN = prepareLSN
            self.endLSN = endLSN
            self.prepareTimestamp = prepareTimestamp
            self.xid = xid
            self.gid = gid
        }
    }

    /// `P`: the transaction was prepared.
    public struct Prepare: Sendable, Hashable {
        /// Flags; currently unused (0).
        public var flags: UInt8
        /// The LSN of the prepare record.
        public var prepareLSN: UInt64
        /// The end LSN of the prepared transaction.
        public var endLSN: UInt64
        /// The prepare time, in microseconds since 2000-01-01 UTC.
        public var prepareTimestamp: Int64
        /// The transaction id.
        public var xid: UInt32
        /// The global transaction identifier.
        public var gid: String

        /// Creates a Prepare message.
        /// - Parameters:
        ///   - flags: the flags byte.
        ///   - prepareLSN: the LSN of the prepare record.
        ///   - endLSN: the end LSN of the prepared transaction.
        ///   - prepareTimestamp: the prepare time, µs since 2000-01-01.
        ///   - xid: the transaction id.
        ///   - gid: the global transaction identifier.
        public init(flags: UInt8, prepareLSN: UInt64, endLSN: UInt64, prepareTimestamp: Int64, xid: UInt32, gid: String)
        {
            self.flags = flags
            self.prepareLSN = prepareLSN
            self.endLSN = endLSN
            self.prepareTimestamp = prepareTimestamp
            self.xid = xid
            self.gid = gid
        }
    }

    /// `K`: a prepared transaction commits.
    public struct CommitPrepared: Sendable, Hashable {
        /// Flags; currently unused (0).
        public var flags: UInt8
        /// The LSN of the commit prepared record.
        public var commitLSN: UInt64
        /// The end LSN of the commit prepared transaction: acknowledge this one.
        public var endLSN: UInt64
        /// The commit time, in microseconds since 2000-01-01 UTC.
        public var commitTimestamp: Int64
        /// The transaction id.
        public var xid: UInt32
        /// The global transaction identifier.
        public var gid: String

        /// Creates a Commit Prepared message.
        /// - Parameters:
        ///   - flags: the flags byte.
        ///   - commitLSN: the LSN of the commit prepared record.
        ///   - endLSN: the end LSN of the commit prepared transaction.
        ///   - commitTimestamp: the commit time, µs since 2000-01-01.
        ///   - xid: the transaction id.
        ///   - gid: the global transaction identifier.
        public init(flags: UInt8, commitLSN: UInt64, endLSN: UInt64, commitTimestamp: Int64, xid: UInt32, gid: String) {
            self.flags = flags
            self.commitLSN = commitLSN
            self.endLSN = endLSN
            self.commitTimestamp = commitTimestamp
            self.xid = xid
            self.gid = gid
        }
    }

    /// `r`: a prepared transaction is rolled back.
    public struct RollbackPrepared: Sendable, Hashable {
        /// Flags; currently unused (0).
        public var flags: UInt8
        /// The end LSN of the prepared transaction.
        public var prepareEndLSN: UInt64
        /// The end LSN of the rollback prepared transaction: acknowledge this one.
        public var rollbackEndLSN: UInt64
        /// The prepare time, in microseconds since 2000-01-01 UTC.
        public var prepareTimestamp: Int64
        /// The rollback time, in microseconds since 2000-01-01 UTC.
        public var rollbackTimestamp: Int64
        /// The transaction id.
        public var xid: UInt32
        /// The global transaction identifier.
        public var gid: String

        /// Creates a Rollback Prepared message.
        /// - Parameters:
        ///   - flags: the flags byte.
        ///   - prepareEndLSN: the end LSN of the prepared transaction.
        ///   - rollbackEndLSN: the end LSN of the rollback prepared transaction.
        ///   - prepareTimestamp: the prepare time, µs since 2000-01-01.
        ///   - rollbackTimestamp: the rollback time, µs since 2000-01-01.
        ///   - xid: the transaction id.
        ///   - gid: the global transaction identifier.
        public init(
            flags: UInt8,
            prepareEndLSN: UInt64,
            rollbackEndLSN: UInt64,
            prepareTimestamp: Int64,
            rollbackTimestamp: Int64,
            xid: UInt32,
            gid: String
        ) {
            self.flags = flags
            self.prepareEndLSN = prepareEndLSN
            self.rollbackEndLSN = rollbackEndLSN
            self.prepareTimestamp = prepareTimestamp
            self.rollbackTimestamp = rollbackTimestamp
            self.xid = xid
            self.gid = gid
        }
    }

    /// `p`: a streamed transaction was prepared. Same fields as ``Prepare``.
    public typealias StreamPrepare = Prepare
}
