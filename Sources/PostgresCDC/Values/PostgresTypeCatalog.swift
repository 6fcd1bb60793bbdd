/// The data types a decoder knows about, by OID.
///
/// Start from ``builtin`` and register the enums, domains and arrays of them that the replicated tables use
/// (read from `pg_type`). A type that is not in the catalog decodes as ``PostgresValue/other(typeOID:text:)``.
public struct PostgresTypeCatalog: Sendable {
    private var types: [UInt32: PostgresTypeInfo]

    /// Creates a catalog holding exactly the given types.
    /// - Parameter types: the types to know about.
    public init(_ types: [PostgresTypeInfo] = []) {
        self.types = [:]
        for type in types {
            self.types[type.oid] = type
        }
    }

    /// The built-in scalar types this library decodes, and the array types of all of them.
    public static let builtin: PostgresTypeCatalog = {
        var catalog = PostgresTypeCatalog()
        for scalar in BuiltinScalar.allCases {
            catalog.register(PostgresTypeInfo(oid: scalar.oid, namespace: "pg_catalog", name: scalar.name, kind: .base))
            catalog.register(
                PostgresTypeInfo(
                    oid: scalar.arrayOID,
                    namespace: "pg_catalog",
                    name: "_" + scalar.name,
                    kind: .array(elementOID: scalar.oid)
                )
            )
        }
        return catalog
    }()

    /// Adds a type, or replaces the type with the same OID.
    /// - Parameter type: the type to add.
    public mutating func register(_ type: PostgresTypeInfo) {
        self.types[type.oid] = type
    }

    /// The type with the given OID, if the catalog knows it.
    /// - Parameter oid: a type OID.
    /// - Returns: the type, or `nil` when it is unknown.
    public func info(for oid: UInt32) -> PostgresTypeInfo? {
        self.types[oid]
    }
}
