/// What the library knows about one PostgreSQL data type: its OID, its qualified name and its kind.
///
/// Built-in types come from ``PostgresTypeCatalog/builtin``; enums, domains and their arrays are read from the
/// server's `pg_type` and added with ``PostgresTypeCatalog/register(_:)``.
public struct PostgresTypeInfo: Sendable, Hashable {
    /// The shape of a type, which decides how its values are decoded.
    public enum Kind: Sendable, Hashable {
        /// A base (scalar) type such as `int4` or `timestamptz`.
        case base
        /// An enum type: values are their labels.
        case enumeration
        /// A domain: values are decoded as the base type.
        case domain(baseOID: UInt32)
        /// An array type: values are ``PostgresArray``s of the element type.
        case array(elementOID: UInt32)
        /// A composite (row) type: values stay ``PostgresValue/other(typeOID:text:)``.
        case composite
        /// A range type: values stay ``PostgresValue/other(typeOID:text:)``.
        case range
        /// Any other type (pseudo-types, multiranges, ...).
        case other
    }

    /// The type's OID (`pg_type.oid`).
    public var oid: UInt32
    /// The schema the type lives in (`pg_catalog` for built-in types).
    public var namespace: String
    /// The type's name (`pg_type.typname`, for example `int4` or `_int4`).
    public var name: String
    /// The type's shape.
    public var kind: Kind

    /// Creates a type description.
    /// - Parameters:
    ///   - oid: the type's OID.
    ///   - namespace: the schema the type lives in.
    ///   - name: the type's name.
    ///   - kind: the type's shape.
    public init(oid: UInt32, namespace: String, name: String, kind: Kind) {
        self.oid = oid
        self.namespace = namespace
        self.name = name
        self.kind = kind
    }
}
