extension PGOutputMessage {
    /// `R`: the layout of a relation. Row messages refer to it by ``relationID``.
    public struct Relation: Sendable, Hashable {
        /// How the old row is identified in updates and deletes (`pg_class.relreplident`).
        public enum ReplicaIdentity: UInt8, Sendable, Hashable {
            /// `d`: the primary key, if any.
            case `default` = 0x64
            /// `n`: nothing; updates and deletes carry no old values.
            case nothing = 0x6E
            /// `f`: all columns.
            case full = 0x66
            /// `i`: the columns of a chosen unique index.
            case index = 0x69
        }

        /// One column of the relation, in tuple order.
        public struct Column: Sendable, Hashable {
            /// Flags: bit 1 marks a column that is part of the replica identity key.
            public var flags: UInt8
            /// The column name.
            public var name: String
            /// The OID of the column's type.
            public var typeOID: UInt32
            /// The type modifier (`atttypmod`), -1 when there is none.
            public var typeModifier: Int32

            /// Whether the column is part of the replica identity key (flag bit 1).
            public var isKey: Bool { self.flags & 1 != 0 }

            /// Creates a column.
            /// - Parameters:
            ///   - flags: the flags byte (1 = part of the key).
            ///   - name: the column name.
            ///   - typeOID: the type OID.
            ///   - typeModifier: the type modifier.
            public init(flags: UInt8, name: String, typeOID: UInt32, typeModifier: Int32) {
                self.flags = flags
                self.name = name
                self.typeOID = typeOID
                self.typeModifier = typeModifier
            }
        }

        /// Inside a stream block only: the xid of the (sub)transaction that made the change, which can be a
        /// subtransaction of the block's ``PGOutputDecoder/streamingXID``; `nil` outside a block.
        public var xid: UInt32?
        /// The relation's OID.
        public var relationID: UInt32
        /// The schema name (empty for `pg_catalog`).
        public var namespace: String
        /// The relation name.
        public var name: String
        /// The replica identity setting.
        public var replicaIdentity: ReplicaIdentity
        /// The published columns, in tuple order.
        public var columns: [Column]

        /// Creates a Relation message.
        /// - Parameters:
        ///   - xid: the streamed transaction's id, inside a stream block.
        ///   - relationID: the relation's OID.
        ///   - namespace: the schema name.
        ///   - name: the relation name.
        ///   - replicaIdentity: the replica identity setting.
        ///   - columns: the columns in tuple order.
        public init(
            xid: UInt32? = nil,
            relationID: UInt32,
            namespace: String,
            name: String,
            replicaIdentity: ReplicaIdentity,
            columns: [Column]
        ) {
            self.xid = xid
            self.relationID = relationID
            self.namespace = namespace
            self.name = name
            self.replicaIdentity = replicaIdentity
            self.columns = columns
        }
    }

    /// `Y`: a type that is not built in (an enum, a domain's base type, an extension type).
    public struct TypeInfo: Sendable, Hashable {
        /// Inside a stream block only: the xid of the (sub)transaction that made the change, which can be a
        /// subtransaction of the block's ``PGOutputDecoder/streamingXID``; `nil` outside a block.
        public var xid: UInt32?
        /// The type's OID (as used in ``Relation/Column/typeOID``).
        public var typeOID: UInt32
        /// The schema name (empty for `pg_catalog`).
        public var namespace: String
        /// The type name (for a domain: its base type's name).
        public var name: String

        /// Creates a Type message.
        /// - Parameters:
        ///   - xid: the streamed transaction's id, inside a stream block.
        ///   - typeOID: the type's OID.
        ///   - namespace: the schema name.
        ///   - name: the type name.
        public init(xid: UInt32? = nil, typeOID: UInt32, namespace: String, name: String) {
            self.xid = xid
            self.typeOID = typeOID
            self.namespace = namespace
            self.name = name
        }
    }
}
