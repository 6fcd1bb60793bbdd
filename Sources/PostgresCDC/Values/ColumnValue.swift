public import NIOCore

/// The value of one column as pgoutput sent it: the raw bytes and the column's type, typed only on demand.
///
/// A consumer that forwards the text as-is reads ``rawText`` and pays nothing for typing; ``decode(catalog:)``
/// gives a ``PostgresValue`` that is the same for the text and the binary wire format.
public struct ColumnValue: Sendable {
    /// The wire format of a column's bytes.
    public enum Format: Sendable, Hashable {
        /// The type's text output (pgoutput `t`).
        case text
        /// The type's binary send format (pgoutput `b`, with `binary 'true'`).
        case binary
    }

    /// What pgoutput sent for the column.
    public enum Storage: Sendable {
        /// SQL `NULL` (pgoutput `n`).
        case null
        /// An unchanged TOASTed value that pgoutput did not send (`u`).
        case unchangedToast
        /// The type's text output (`t`).
        case text(ByteBuffer)
        /// The type's binary send bytes (`b`).
        case binary(ByteBuffer)
    }

    /// What pgoutput sent.
    public var storage: Storage
    /// The column's type OID (from the Relation message).
    public var typeOID: UInt32
    /// The column's type modifier (`atttypmod`, -1 when none).
    public var typeModifier: Int32

    /// Creates a column value.
    /// - Parameters:
    ///   - storage: what pgoutput sent.
    ///   - typeOID: the column's type OID.
    ///   - typeModifier: the column's type modifier.
    public init(storage: Storage, typeOID: UInt32, typeModifier: Int32 = -1) {
        self.storage = storage
        self.typeOID = typeOID
        self.typeModifier = typeModifier
    }

    /// The wire format, or `nil` for `NULL` and unchanged TOAST values.
    public var format: Format? {
        switch self.storage {
        case .null, .unchangedToast: nil
        case .text: .text
        case .binary: .binary
        }
    }

    /// Whether the value is SQL `NULL`.
    public var isNull: Bool {
        if case .null = self.storage { return true }
        return false
    }

    /// The text output as sent, without decoding; `nil` for binary, `NULL` and unchanged TOAST values.
    public var rawText: String? {
        guard case .text(let buffer) = self.storage else { return nil }
        return String(buffer: buffer)
    }

    /// Decodes the value with the types the catalog knows.
    ///
    /// Domains decode as their base type, enums as their label, arrays element by element; a type without a
    /// decoder gives ``PostgresValue/other(typeOID:text:)``.
    /// - Parameter catalog: the known types (``PostgresTypeCatalog/builtin`` plus registered enums and domains).
    /// - Returns: the typed value; ``PostgresValue/null`` for `NULL`.
    /// - Throws: ``ValueDecodingError`` when the bytes do not fit the type, or the value is an unchanged TOAST
    ///   value (``ValueDecodingError/Code/unchangedToast``).
    public func decode(catalog: PostgresTypeCatalog) throws(ValueDecodingError) -> PostgresValue {
        switch self.storage {
        case .null:
            return .null
        case .unchangedToast:
            throw ValueDecodingError(
                .unchangedToast,
                "the value was not sent because it is an unchanged TOAST value",
                typeOID: self.typeOID,
                format: nil,
                rawBytes: []
            )
        case .text(let buffer):
            do {
                return try TextValueDecoder(catalog: catalog).decode(buffer.readableBytesView, typeOID: self.typeOID)
            } catch {
                throw ValueDecodingError(
                    error.code,
                    error.reason,
                    typeOID: self.typeOID,
                    format: .text,
                    rawBytes: buffer.readableBytesView
                )
            }
        case .binary(let buffer):
            do {
                var copy = buffer
                return try BinaryValueDecoder(catalog: catalog).decode(&copy, typeOID: self.typeOID, depth: 0)
            } catch {
                throw ValueDecodingError(
                    error.code,
                    error.reason,
                    typeOID: self.typeOID,
                    format: .binary,
                    rawBytes: buffer.readableBytesView
                )
            }
        }
    }
}
