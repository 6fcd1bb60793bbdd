import PostgresWire

/// One published table as the snapshot reads it: the schema pgoutput would announce for it, what to select, and
/// which heap relations hold its rows.
struct SnapshotTable: Sendable {
    /// One relation whose heap is scanned (the table itself, or a leaf partition of a root published via the
    /// root).
    struct Scan: Sendable {
        /// The relation, as `regclass` prints it (quoted and schema-qualified where needed).
        var relation: String
        /// Its size in pages when the snapshot began.
        var pages: Int
    }

    /// The schema, as the stream's Relation message describes it (published columns only), enriched from the
    /// catalog.
    var schema: TableSchema
    /// The expressions selected, one per column of ``schema``.
    var selectList: [String]
    /// Whether each column is read as its text output (else in binary send format).
    var textColumns: [Bool]
    /// The publication's row filter (PostgreSQL 15+), `nil` when every row is published.
    var rowFilter: String?
    /// The heap relations to scan.
    var scans: [Scan]
    /// The planner's estimate of the rows, `nil` when never analyzed.
    var estimatedRows: Int?

    /// All pages of all scans.
    var totalPages: Int { self.scans.reduce(0) { $0 + $1.pages } }

    /// The query that reads one chunk of one scan.
    /// - Parameter chunk: the chunk.
    /// - Returns: SQL selecting the chunk's rows.
    func query(for chunk: SnapshotChunk) -> String {
        var conditions: [String] = []
        if chunk.usesPageRange {
            conditions.append("ctid >= '(\(chunk.firstPage),0)'::tid")
            if let end = chunk.endPage {
                conditions.append("ctid < '(\(end),0)'::tid")
            }
        }
        if let rowFilter {
            conditions.append("(\(rowFilter))")
        }
        let columns = self.selectList.isEmpty ? "" : self.selectList.joined(separator: ", ")
        var sql = "SELECT \(columns) FROM ONLY \(chunk.relation)"
        if !conditions.isEmpty {
            sql += " WHERE " + conditions.joined(separator: " AND ")
        }
        return sql
    }
}

/// A range of pages of one scanned relation: the unit of work of a snapshot worker.
struct SnapshotChunk: Sendable {
    /// The table (index into the plan's tables).
    var tableIndex: Int
    /// The relation scanned.
    var relation: String
    /// The first page.
    var firstPage: Int
    /// The page after the last one, or `nil` for "to the end" (the last chunk of a relation).
    var endPage: Int?
    /// How many pages of the relation's size this chunk stands for (for progress).
    var pages: Int
    /// Whether the query restricts `ctid` at all (servers before PostgreSQL 14 have no TID range scan: there a
    /// relation is one chunk).
    var usesPageRange: Bool

    /// Splits a relation into chunks of at most `chunkPages` pages; the last chunk is open-ended so that no
    /// row is missed even if the relation grew after its size was read.
    /// - Parameters:
    ///   - scan: the relation.
    ///   - tableIndex: its table.
    ///   - chunkPages: the largest chunk.
    ///   - pageRanges: whether the server supports TID range scans.
    /// - Returns: the chunks, in page order.
    static func split(
        _ scan: SnapshotTable.Scan,
        tableIndex: Int,
        chunkPages: Int,
        pageRanges: Bool
    ) -> [SnapshotChunk] {
        let size = max(1, chunkPages)
        guard pageRanges, scan.pages > size else {
            return [
                SnapshotChunk(
                    tableIndex: tableIndex,
                    relation: scan.relation,
                    firstPage: 0,
                    endPage: nil,
                    pages: scan.pages,
                    usesPageRange: false
                )
            ]
        }
        var chunks: [SnapshotChunk] = []
        var first = 0
        while first < scan.pages {
            let end = first + size
            chunks.append(
                SnapshotChunk(
                    tableIndex: tableIndex,
                    relation: scan.relation,
                    firstPage: first,
                    endPage: end >= scan.pages ? nil : end,
                    pages: min(size, scan.pages - first),
                    usesPageRange: true
                )
            )
            first = end
        }
        return chunks
    }
}
