/// One row of a change: values by column, typed on demand.
///
/// Values keep the bytes pgoutput sent (text or binary) until asked for: ``subscript(_:)-(String)`` gives the
/// raw ``ColumnValue``; ``value(_:)`` gives the typed ``PostgresValue``.
public struct Row: Sendable {
    /// The columns of this row (for a key row: only the key columns).
    public let columns: [ColumnSchema]
    /// The values, aligned with ``columns``.
    public let values: [ColumnValue]
    /// The types known when the row arrived (built-ins plus the enums and domains the stream announced).
    public let catalog: PostgresTypeCatalog

    /// Creates a row.
    /// - Parameters:
    ///   - columns: the columns.
    ///   - values: one value per column.
    ///   - catalog: the types used to decode values.
    public init(columns: [ColumnSchema], values: [ColumnValue], catalog: PostgresTypeCatalog) {
        precondition(columns.count == values.count, "a row needs one value per column")
        self.columns = columns
        self.values = values
        self.catalog = catalog
    }

    /// The raw value of a column.
    /// - Parameter name: the column name.
    /// - Returns: the value, or `nil` when the row has no such column.
    public subscript(_ name: String) -> ColumnValue? {
        guard let index = self.columns.firstIndex(where: { $0.name == name }) else { return nil }
        return self.values[index]
    }

    /// The typed value of a column.
    /// - Parameter name: the column name.
    /// - Returns: the value, or `nil` when the row has no such column or the value is an unchanged TOAST value.
    /// - Throws: ``ValueDecodingError`` when the bytes do not decode as the column's type.
    public func value(_ name: String) throws(ValueDecodingError) -> PostgresValue? {
        guard let raw = self[name], !raw.isUnchangedToast else { return nil }
        return try raw.decode(catalog: self.catalog)
    }

    /// Every column with its typed value, in column order; unchanged TOAST values are left out.
    /// - Returns: `(name, value)` pairs.
    /// - Throws: ``ValueDecodingError``.
    public func typedValues() throws(ValueDecodingError) -> [(name: String, value: PostgresValue)] {
        var result: [(name: String, value: PostgresValue)] = []
        result.reserveCapacity(self.columns.count)
        for (column, raw) in zip(self.columns, self.values) where !raw.isUnchangedToast {
            result.append((column.name, try raw.decode(catalog: self.catalog)))
        }
        return result
    }

    /// The names of columns whose value was not sent because it is an unchanged TOASTed value.
    public var unchangedToastColumns: [String] {
        // Asked for every change; almost always there are none, and then no array is built.
        guard self.values.contains(where: \.isUnchangedToast) else { return [] }
        return zip(self.columns, self.values).compactMap { $0.1.isUnchangedToast ? $0.0.name : nil }
    }
}

extension ColumnValue {
    /// Whether the value is an unchanged TOAST value that pgoutput did not send.
    public var isUnchangedToast: Bool {
        if case .unchangedToast = self.storage { return true }
        return false
    }
}
