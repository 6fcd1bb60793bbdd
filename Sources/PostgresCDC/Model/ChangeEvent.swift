public import NIOCore
public import PostgresWire

/// One change: a row inserted, updated or deleted, a table truncated, a logical message, or (from the
/// initial snapshot) a row read.
public struct ChangeEvent: Sendable {
    /// What happened.
    public enum Operation: String, Sendable, Hashable, Codable {
        /// A row was inserted.
        case insert
        /// A row was updated.
        case update
        /// A row was deleted.
        case delete
        /// A table was truncated.
        case truncate
        /// A logical decoding message (`pg_logical_emit_message`).
        case message
        /// A row that existed when the slot was created, read by the initial snapshot.
        case read
    }

    /// A logical decoding message's payload.
    public struct Message: Sendable, Hashable {
        /// The prefix given to `pg_logical_emit_message`.
        public var prefix: String
        /// The content bytes.
        public var content: ByteBuffer
        /// Whether it was emitted inside the transaction (else it is delivered at once, outside any transaction).
        public var isTransactional: Bool

        /// Creates a message payload.
        public init(prefix: String, content: ByteBuffer, isTransactional: Bool) {
            self.prefix = prefix
            self.content = content
            self.isTransactional = isTransactional
        }
    }

    /// The truncate options.
    public struct TruncateOptions: OptionSet, Sendable, Hashable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `TRUNCATE … CASCADE`.
        public static let cascade = TruncateOptions(rawValue: 1)
        /// `TRUNCATE … RESTART IDENTITY`.
        public static let restartIdentity = TruncateOptions(rawValue: 2)
    }

    /// What happened.
    public var operation: Operation
    /// The table (nil for a message).
    public var table: TableSchema?
    /// The old row: for updates and deletes, the whole row under REPLICA IDENTITY FULL, else only the key
    /// columns when the key changed (update) or always (delete); `nil` when the server sent none.
    public var before: Row?
    /// The new row (inserts, updates, reads).
    public var after: Row?
    /// The replica-identity columns: from the old row when there is one, else from the new row.
    public var key: Row?
    /// Columns whose unchanged TOASTed value was not sent (and could not be filled from an old row).
    public var unchangedToastColumns: [String]
    /// For truncates.
    public var truncateOptions: TruncateOptions
    /// For messages.
    public var message: Message?
    /// The WAL position of this change (several events may share one).
    public var lsn: LSN
    /// The transaction, or `nil` for a non-transactional message.
    public var transaction: TransactionInfo?
    /// The event's position within its transaction, from 0. (commit LSN, index) identifies an event.
    public var index: Int
    /// True when the event was recovered from log tables after a failover instead of read from the stream.
    public var isRecovered: Bool

    /// Creates an event.
    public init(
        operation: Operation,
        table: TableSchema?,
        before: Row? = nil,
        after: Row? = nil,
        key: Row? = nil,
        unchangedToastColumns: [String] = [],
        truncateOptions: TruncateOptions = [],
        message: Message? = nil,
        lsn: LSN,
        transaction: TransactionInfo?,
        index: Int,
        isRecovered: Bool = false
    ) {
        self.operation = operation
        self.table = table
        self.before = before
        self.after = after
        self.key = key
        self.unchangedToastColumns = unchangedToastColumns
        self.truncateOptions = truncateOptions
        self.message = message
        self.lsn = lsn
        self.transaction = transaction
        self.index = index
        self.isRecovered = isRecovered
    }
}
