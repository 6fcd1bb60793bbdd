import NIOCore

/// The result of one statement of a simple query.
public struct SimpleQueryResult: Sendable, Equatable {
    /// The column names (empty for commands without rows).
    public var columns: [String]
    /// The rows, each value in text form; `nil` is SQL NULL.
    public var rows: [[String?]]
    /// The command tag, for example `SELECT 1` or `CREATE_REPLICATION_SLOT`.
    public var commandTag: String

    /// Creates a result.
    public init(columns: [String], rows: [[String?]], commandTag: String) {
        self.columns = columns
        self.rows = rows
        self.commandTag = commandTag
    }

    /// The value of `column` in the first row.
    /// - Parameter column: the column name.
    /// - Returns: the text value, or `nil` when the column is missing, there is no row, or the value is NULL.
    public func firstValue(_ column: String) -> String? {
        guard let index = self.columns.firstIndex(of: column), let row = self.rows.first, index < row.count else {
            return nil
        }
        return row[index]
    }
}

extension ReplicationConnection {
    /// Runs SQL or a replication command with the simple query protocol (the only one a walsender accepts).
    ///
    /// - Parameter sql: one or more statements; the caller quotes identifiers and literals.
    /// - Returns: one result per statement.
    /// - Throws: ``PostgresWireError`` with code `.server` and the server's fields when a statement fails
    ///   (the connection stays usable), or a connection error.
    public func simpleQuery(_ sql: String) async throws(PostgresWireError) -> [SimpleQueryResult] {
        try await self.simpleQuery(sql, slot: nil)
    }

    func simpleQuery(_ sql: String, slot: String?) async throws(PostgresWireError) -> [SimpleQueryResult] {
        guard !self.isStreaming else {
            throw self.error(.invalidArgument, "a query cannot run while a replication stream is open", slot: slot)
        }
        try await self.send(.query(sql))
        var results: [SimpleQueryResult] = []
        var columns: [String] = []
        var rows: [[String?]] = []
        var serverError: PostgresWireError.ServerFields?
        while true {
            switch try await self.receiveBackend() {
            case .rowDescription(let names):
                columns = names
                rows = []
            case .dataRow(let values):
                rows.append(values.map { $0.map { String(buffer: $0) } })
            case .commandComplete(let tag):
                results.append(SimpleQueryResult(columns: columns, rows: rows, commandTag: tag))
                columns = []
                rows = []
            case .emptyQueryResponse:
                results.append(SimpleQueryResult(columns: [], rows: [], commandTag: ""))
            case .errorResponse(let fields):
                serverError = fields
            case .readyForQuery:
                if let serverError {
                    throw self.error(
                        .server,
                        serverError.message ?? "the server reported an error",
                        slot: slot,
                        serverFields: serverError
                    )
                }
                return results
            case .copyOutResponse, .copyData, .copyDone:
                // TIMELINE_HISTORY and BASE_BACKUP may stream; simple queries here never do.
                continue
            case let other:
                throw self.error(.protocolViolation, "unexpected \(other) in a query response", slot: slot)
            }
        }
    }
}
