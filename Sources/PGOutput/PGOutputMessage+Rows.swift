extension PGOutputMessage {
    /// Which old values an Update or Delete carries.
    public enum OldTupleKind: UInt8, Sendable, Hashable {
        /// `K`: only the replica identity key columns are set; the other columns are null.
        case key = 0x4B
        /// `O`: the whole old row (`REPLICA IDENTITY FULL`).
        case old = 0x4F
    }

    /// `I`: a row was inserted.
    public struct Insert: Sendable, Hashable {
        /// Inside a stream block only: the xid of the (sub)transaction that made the change, which can be a
        /// subtransaction of the block's ``PGOutputDecoder/streamingXID``; `nil` outside a block.
        public var xid: UInt32?
        /// The relation, as announced by its Relation message.
        public var relationID: UInt32
        /// The new row.
        public var newTuple: TupleData

        /// Creates an Insert message.
        /// - Parameters:
        ///   - xid: the streamed transaction's id, inside a stream block.
        ///   - relationID: the relation's OID.
        ///   - newTuple: the new row.
        public init(xid: UInt32? = nil, relationID: UInt32, newTuple: TupleData) {
            self.xid = xid
            self.relationID = relationID
            self.newTuple = newTuple
        }
    }

    /// `U`: a row was updated.
    public struct Update: Sendable, Hashable {
        /// Inside a stream block only: the xid of the (sub)transaction that made the change, which can be a
        /// subtransaction of the block's ``PGOutputDecoder/streamingXID``; `nil` outside a block.
        public var xid: UInt32?
        /// The relation, as announced by its Relation message.
        public var relationID: UInt32
        /// The old key (`K`) or old row (`O`); `nil` when the server sent none (the key did not change and the
        /// replica identity is not full).
        public var oldTuple: TupleData?
        /// What ``oldTuple`` holds; `nil` when it is absent.
        public var oldTupleKind: OldTupleKind?
        /// The new row. Unchanged TOASTed columns are ``TupleValue/unchangedToast``.
        public var newTuple: TupleData

        /// Creates an Update message.
        /// - Parameters:
        ///   - xid: the streamed transaction's id, inside a stream block.
        ///   - relationID: the relation's OID.
        ///   - oldTuple: the old key or row, if sent.
        ///   - oldTupleKind: what `oldTuple` holds.
        ///   - newTuple: the new row.
        public init(
            xid: UInt32? = nil,
            relationID: UInt32,
            oldTuple: TupleData? = nil,
            oldTupleKind: OldTupleKind? = nil,
            newTuple: TupleData
        ) {
            self.xid = xid
            self.relationID = relationID
            self.oldTuple = oldTuple
            self.oldTupleKind = oldTupleKind
            self.newTuple = newTuple
        }
    }

    /// `D`: a row was deleted.
    public struct Delete: Sendable, Hashable {
        /// Inside a stream block only: the xid of the (sub)transaction that made the change, which can be a
        /// subtransaction of the block's ``PGOutputDecoder/streamingXID``; `nil` outside a block.
        public var xid: UInt32?
        /// The relation, as announced by its Relation message.
        public var relationID: UInt32
        /// The old key (`K`) or old row (`O`).
        public var oldTuple: TupleData
        /// What ``oldTuple`` holds.
        public var oldTupleKind: OldTupleKind

        /// Creates a Delete message.
        /// - Parameters:
        ///   - xid: the streamed transaction's id, inside a stream block.
        ///   - relationID: the relation's OID.
        ///   - oldTuple: the old key or row.
        ///   - oldTupleKind: what `oldTuple` holds.
        public init(xid: UInt32? = nil, relationID: UInt32, oldTuple: TupleData, oldTupleKind: OldTupleKind) {
            self.xid = xid
            self.relationID = relationID
            self.oldTuple = oldTuple
            self.oldTupleKind = oldTupleKind
        }
    }

    /// `T`: relations were truncated.
    public struct Truncate: Sendable, Hashable {
        /// The `TRUNCATE` options.
        public struct Options: OptionSet, Sendable, Hashable {
            public var rawValue: UInt8

            /// Creates options from the option bits.
            /// - Parameter rawValue: the option bits.
            public init(rawValue: UInt8) {
                self.rawValue = rawValue
            }

            /// `CASCADE` (bit 1).
            public static let cascade = Options(rawValue: 1)
            /// `RESTART IDENTITY` (bit 2).
            public static let restartIdentity = Options(rawValue: 2)
        }

        /// Inside a stream block only: the xid of the (sub)transaction that made the change, which can be a
        /// subtransaction of the block's ``PGOutputDecoder/streamingXID``; `nil` outside a block.
        public var xid: UInt32?
        /// The `TRUNCATE` options.
        public var options: Options
        /// The truncated relations.
        public var relationIDs: [UInt32]

        /// Creates a Truncate message.
        /// - Parameters:
        ///   - xid: the streamed transaction's id, inside a stream block.
        ///   - options: the options.
        ///   - relationIDs: the truncated relations.
        public init(xid: UInt32? = nil, options: Options, relationIDs: [UInt32]) {
            self.xid = xid
            self.options = options
            self.relationIDs = relationIDs
        }
    }
}
