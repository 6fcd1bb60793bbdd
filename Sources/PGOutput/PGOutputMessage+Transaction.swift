extension PGOutputMessage {
    /// `B`: the start of a transaction.
    public struct Begin: Sendable, Hashable {
        /// The final LSN of the transaction (the LSN of its commit record).
        public var finalLSN: UInt64
        /// The commit time, in microseconds since 2000-01-01 UTC.
        public var commitTimestamp: Int64
        /// The transaction id.
        public var xid: UInt32

        /// Creates a Begin message.
        /// - Parameters:
        ///   - finalLSN: the final LSN of the transaction.
        ///   - commitTimestamp: the commit time, µs since 2000-01-01.
        ///   - xid: the transaction id.
        public init(finalLSN: UInt64, commitTimestamp: Int64, xid: UInt32) {
            self.finalLSN = finalLSN
            self.commitTimestamp = commitTimestamp
            self.xid = xid
        }
    }

    /// `C`: the commit of a transaction.
    public struct Commit: Sendable, Hashable {
        /// Flags; currently unused (0).
        public var flags: UInt8
        /// The LSN of the commit record.
        public var commitLSN: UInt64
        /// The end LSN of the transaction: acknowledge this one.
        public var endLSN: UInt64
        /// The commit time, in microseconds since 2000-01-01 UTC.
        public var commitTimestamp: Int64

        /// Creates a Commit message.
        /// - Parameters:
        ///   - flags: the flags byte.
        ///   - commitLSN: the LSN of the commit record.
        ///   - endLSN: the end LSN of the transaction.
        ///   - commitTimestamp: the commit time, µs since 2000-01-01.
        public init(flags: UInt8, commitLSN: UInt64, endLSN: UInt64, commitTimestamp: Int64) {
            self.flags = flags
            self.commitLSN = commitLSN
            self.endLSN = endLSN
            self.commitTimestamp = commitTimestamp
        }
    }

    /// `O`: the replication origin of the current transaction.
    public struct Origin: Sendable, Hashable {
        /// The LSN of the commit on the origin server.
        public var commitLSN: UInt64
        /// The name of the origin.
        public var name: String

        /// Creates an Origin message.
        /// - Parameters:
        ///   - commitLSN: the LSN of the commit on the origin server.
        ///   - name: the origin's name.
        public init(commitLSN: UInt64, name: String) {
            self.commitLSN = commitLSN
            self.name = name
        }
    }
}
