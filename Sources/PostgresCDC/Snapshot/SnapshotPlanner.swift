import Foundation
import Logging
import PostgresNIO
import PostgresWire

/// What the snapshot copies: the publications' tables, their published columns and row filters, and the
/// chunks to read. Built on a connection that has imported the snapshot, so it sees the catalog as of the
/// slot's consistent point.
struct SnapshotPlan: Sendable {
    /// The tables, in publication order.
    var tables: [SnapshotTable]
    /// The chunks, table by table.
    var chunks: [SnapshotChunk]
    /// The types the tables use (built-ins plus the enums, domains and arrays found in the catalog).
    var catalog: PostgresTypeCatalog
    /// The server's clock when the snapshot was taken (the synthetic transaction's commit time).
    var snapshotTime: Date
}

/// Reads the catalog inside the snapshot and plans the copy.
struct SnapshotPlanner {
    let connection: PostgresConnection
    let logger: Logger
    let publications: [String]
    /// The failover log tables: never copied (a publication `FOR ALL TABLES` includes them).
    let logTables: LogTables
    /// Whether the stream sends binary values (then the snapshot reads every column in binary too).
    let binary: Bool
    let chunkPages: Int
    let workers: Int

    /// One row of `pg_publication_tables`, merged over the publications.
    private struct Published {
        var namespace: String
        var name: String
        /// `nil`: every column.
        var columns: Set<String>?
        /// `nil`: every row.
        var rowFilters: [String]?
    }

    func plan() async throws -> SnapshotPlan {
        let (version, time) = try await self.serverInfo()
        var catalog = PostgresTypeCatalog.builtin
        var tables: [SnapshotTable] = []
        let client = CatalogClient(connection: self.connection, logger: self.logger)
        for published in try await self.publishedTables(serverVersion: version) {
            guard var table = try await self.table(published) else { continue }
            let (enriched, types) = try await client.enrich(table.schema, catalog: catalog)
            for type in types { catalog.register(type) }
            table.schema = enriched
            tables.append(table)
        }
        for index in tables.indices {
            let columns = tables[index].schema.columns
            let text = columns.map { !self.binary && !Self.readsAsBinary($0.typeOID, catalog: catalog) }
            tables[index].textColumns = text
            tables[index].selectList = zip(columns, text).map { column, text in
                let name = ReplicationCommandQuoting.identifier(column.name)
                // The type's output function, as pgoutput's text mode calls it (a cast to text may differ).
                return text ? "CASE WHEN \(name) IS NULL THEN NULL ELSE pg_catalog.format('%s', \(name)) END" : name
            }
        }
        // Enough chunks per table that every worker has work, but never larger than asked.
        var chunks: [SnapshotChunk] = []
        for (index, table) in tables.enumerated() {
            for scan in table.scans {
                let even = (scan.pages + self.workers * 2 - 1) / max(1, self.workers * 2)
                let size = max(1, min(self.chunkPages, max(128, even)))
                chunks += SnapshotChunk.split(scan, tableIndex: index, chunkPages: size, pageRanges: version >= 140_000)
            }
        }
        return SnapshotPlan(tables: tables, chunks: chunks, catalog: catalog, snapshotTime: time)
    }

    /// Whether a type's binary send format decodes to the same value as its text output here (built-in
    /// scalars, enums and arrays of those); other types are read as text, like pgoutput's text mode sends them.
    static func readsAsBinary(_ oid: UInt32, catalog: PostgresTypeCatalog) -> Bool {
        switch ResolvedType(oid: oid, catalog: catalog) {
        case .scalar, .enumeration:
            return true
        case .array(let element):
            switch ResolvedType(oid: element, catalog: catalog) {
            case .scalar, .enumeration: return true
            case .array, .other: return false
            }
        case .other:
            return false
        }
    }

    private func serverInfo() async throws -> (Int, Date) {
        let rows = try await self.connection.query(
            "SELECT current_setting('server_version_num')::int4, now()",
            logger: self.logger
        )
        for try await (version, time) in rows.decode((Int32, Date).self) {
            return (Int(version), time)
        }
        throw CDCError(.snapshot, "the server did not report its version")
    }

    private func publishedTables(serverVersion: Int) async throws -> [Published] {
        let query: PostgresQuery
        if serverVersion >= 150_000 {
            query = """
                SELECT schemaname::text, tablename::text, attnames::text[], rowfilter
                FROM pg_catalog.pg_publication_tables WHERE pubname = ANY(\(self.publications)::text[])
                """
        } else {
            query = """
                SELECT schemaname::text, tablename::text, NULL::text[], NULL::text
                FROM pg_catalog.pg_publication_tables WHERE pubname = ANY(\(self.publications)::text[])
                """
        }
        var merged: [Published] = []
        var positions: [String: Int] = [:]
        let rows = try await self.connection.query(query, logger: self.logger)
        for try await (namespace, name, columns, filter) in rows.decode((String, String, [String]?, String?).self) {
            if self.logTables.isLogTable(namespace: namespace, name: name) { continue }
            let key = "\(namespace).\(name)"
            guard let position = positions[key] else {
                positions[key] = merged.count
                merged.append(
                    Published(
                        namespace: namespace,
                        name: name,
                        columns: columns.map(Set.init),
                        rowFilters: filter.map { [$0] }
                    )
                )
                continue
            }
            // Several publications: a column published by any is published; a row published by any is
            // published (as the server's own table sync combines them).
            if let columns, let known = merged[position].columns {
                merged[position].columns = known.union(columns)
            } else {
                merged[position].columns = nil
            }
            if let filter, let known = merged[position].rowFilters {
                merged[position].rowFilters = known + [filter]
            } else {
                merged[position].rowFilters = nil
            }
        }
        return merged
    }

    /// The table's schema as pgoutput describes it, and its heap relations.
    private func table(_ published: Published) async throws -> SnapshotTable? {
        let relationQuery: PostgresQuery = """
            SELECT c.oid::int8, c.relreplident::text FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(published.namespace) AND c.relname = \(published.name)
            """
        var found: (Int64, String)?
        for try await row in try await self.connection.query(relationQuery, logger: self.logger).decode(
            (Int64, String).self
        ) {
            found = row
        }
        guard let (oid, identityCode) = found else { return nil }
        let identity: ReplicaIdentity
        switch identityCode {
        case "f": identity = .full
        case "n": identity = .nothing
        case "i": identity = .index
        default: identity = .default
        }

        // Key flags as pgoutput sets them: the replica identity index's columns, or every column under FULL.
        let columnQuery: PostgresQuery = """
            SELECT a.attname::text, a.atttypid::int8, a.atttypmod::int4,
                   COALESCE(a.attnum = ANY(i.indkey), false)
            FROM pg_catalog.pg_attribute a
            LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid
                 AND CASE \(identityCode) WHEN 'd' THEN i.indisprimary WHEN 'i' THEN i.indisreplident ELSE false END
            WHERE a.attrelid = \(oid)::int8::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            ORDER BY a.attnum
            """
        var columns: [ColumnSchema] = []
        for try await (name, type, modifier, inIndex) in try await self.connection.query(
            columnQuery,
            logger: self.logger
        ).decode((String, Int64, Int32, Bool).self) {
            if let published = published.columns, !published.contains(name) { continue }
            columns.append(
                ColumnSchema(
                    name: name,
                    typeOID: UInt32(truncatingIfNeeded: type),
                    typeModifier: modifier,
                    isKey: identity == .full || inIndex
                )
            )
        }

        // The heap relations: the table itself, or (a root published via the root) its leaf partitions.
        let scanQuery: PostgresQuery = """
            SELECT c.oid::regclass::text,
                   (pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::int8)::int8,
                   c.reltuples::float8
            FROM pg_catalog.pg_class c
            WHERE c.relkind IN ('r', 'm')
              AND (c.oid = \(oid)::int8::oid
                   OR c.oid IN (SELECT relid FROM pg_catalog.pg_partition_tree(\(oid)::int8::oid) WHERE isleaf))
            ORDER BY c.oid
            """
        var scans: [SnapshotTable.Scan] = []
        var estimate: Double?
        for try await (relation, pages, tuples) in try await self.connection.query(
            scanQuery,
            logger: self.logger
        ).decode((String, Int64, Double).self) {
            scans.append(SnapshotTable.Scan(relation: relation, pages: Int(pages)))
            if tuples >= 0 { estimate = (estimate ?? 0) + tuples }
        }

        let schema = TableSchema(
            relationID: UInt32(truncatingIfNeeded: oid),
            namespace: published.namespace,
            name: published.name,
            replicaIdentity: identity,
            columns: columns
        )
        return SnapshotTable(
            schema: schema,
            selectList: [],
            textColumns: [],
            rowFilter: published.rowFilters.map {
                $0.count == 1 ? $0[0] : $0.map { "(\($0))" }.joined(separator: " OR ")
            },
            scans: scans,
            estimatedRows: estimate.map { Int($0) }
        )
    }
}
