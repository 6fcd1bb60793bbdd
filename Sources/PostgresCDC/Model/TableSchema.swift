/// How PostgreSQL identifies the old row of an update or delete (`ALTER TABLE … REPLICA IDENTITY`).
public enum ReplicaIdentity: String, Sendable, Hashable, Codable {
    /// The primary key (the default).
    case `default`
    /// Nothing: updates and deletes carry no old row; deletes cannot be published.
    case nothing
    /// The whole old row.
    case full
    /// The columns of a chosen unique index.
    case index
}

/// One column of a published table, as of the schema version the stream is at.
public struct ColumnSchema: Sendable, Hashable {
    /// The column name.
    public var name: String
    /// The type's OID.
    public var typeOID: UInt32
    /// The type as `format_type` prints it, for example `numeric(10,2)` or `character varying(20)`; `nil` until
    /// the catalog has been asked.
    public var typeName: String?
    /// The type modifier (`atttypmod`), -1 when none.
    public var typeModifier: Int32
    /// Whether the column is part of the replica identity (the key).
    public var isKey: Bool
    /// Whether the column may be NULL; `nil` when unknown (the column was dropped since).
    public var isNullable: Bool?

    /// Creates a column.
    public init(
        name: String,
        typeOID: UInt32,
        typeName: String? = nil,
        typeModifier: Int32 = -1,
        isKey: Bool = false,
        isNullable: Bool? = nil
    ) {
        self.name = name
        self.typeOID = typeOID
        self.typeName = typeName
        self.typeModifier = typeModifier
        self.isKey = isKey
        self.isNullable = isNullable
    }
}

/// A published table's layout at one point of the stream.
///
/// A new version arrives whenever the table changes (`ALTER TABLE`): events always carry the schema their rows
/// were written with.
public struct TableSchema: Sendable, Hashable {
    /// The table's OID (`pg_class.oid`), stable across schema changes.
    public var relationID: UInt32
    /// The schema (namespace), for example `public`.
    public var namespace: String
    /// The table name.
    public var name: String
    /// The replica identity.
    public var replicaIdentity: ReplicaIdentity
    /// The published columns, in table order.
    public var columns: [ColumnSchema]

    /// Creates a schema.
    public init(
        relationID: UInt32,
        namespace: String,
        name: String,
        replicaIdentity: ReplicaIdentity,
        columns: [ColumnSchema]
    ) {
        self.relationID = relationID
        self.namespace = namespace
        self.name = name
        self.replicaIdentity = replicaIdentity
        self.columns = columns
    }

    /// `namespace.name`, each part quoted when it needs it.
    public var qualifiedName: String { "\(Self.quoteIfNeeded(namespace)).\(Self.quoteIfNeeded(name))" }

    /// The index of a column by name.
    /// - Parameter name: the column name.
    /// - Returns: its position, or `nil`.
    public func columnIndex(named name: String) -> Int? {
        self.columns.firstIndex { $0.name == name }
    }

    /// The key columns' positions (replica identity).
    public var keyColumnIndexes: [Int] {
        self.columns.indices.filter { self.columns[$0].isKey }
    }

    static func quoteIfNeeded(_ identifier: String) -> String {
        let plain =
            !identifier.isEmpty
            && identifier.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_")
            }
            && !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(identifier.utf8.first ?? 0)
        return plain ? identifier : "\"" + identifier.replacing("\"", with: "\"\"") + "\""
    }
}
