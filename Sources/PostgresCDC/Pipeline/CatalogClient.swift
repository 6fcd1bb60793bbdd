import Logging
import NIOCore
import PostgresNIO
import PostgresWire
import Synchronization

/// Regular SQL next to the replication stream (through postgres-nio): schema enrichment, type lookups and
/// heartbeats. A walsender cannot run SQL while it streams, so this is a second connection to the same server.
struct CatalogClient: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Connects to the endpoint the replication connection uses.
    static func connect(
        settings: ConnectionSettings,
        endpoint: ConnectionSettings.Endpoint,
        logger: Logger
    ) async throws -> CatalogClient {
        let password = try settings.password(for: endpoint)
        var configuration: PostgresConnection.Configuration
        if let path = endpoint.unixSocketPath {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: path,
                username: settings.user,
                password: password,
                database: settings.database
            )
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch settings.sslMode {
            case .disable, .allow: tls = .disable
            case .prefer: tls = .prefer(try settings.makeTLSContext(for: endpoint))
            case .require, .verifyCA, .verifyFull: tls = .require(try settings.makeTLSContext(for: endpoint))
            }
            configuration = PostgresConnection.Configuration(
                host: endpoint.host,
                port: endpoint.port,
                username: settings.user,
                password: password,
                database: settings.database,
                tls: tls
            )
        }
        configuration.options.additionalStartupParameters = [
            ("application_name", (settings.applicationName ?? "pgcdc") + " catalog")
        ]
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        return CatalogClient(connection: connection, logger: logger)
    }

    func close() async {
        try? await self.connection.close()
    }

    /// Runs `body`; when it has not finished after `seconds`, closes the connection and throws, without
    /// waiting for `body` any longer.
    ///
    /// A query on a connection whose server died at the wrong moment (a failover) can wait forever, and the
    /// pipeline would then never read the replication stream that tells it the server is gone.
    func withDeadline<Result: Sendable>(
        seconds: Int64 = 30,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await Self.withDeadline(seconds: seconds, closing: self.connection, body)
    }

    /// ``withDeadline(seconds:_:)`` for any connection.
    static func withDeadline<Result: Sendable>(
        seconds: Int64,
        closing connection: PostgresConnection,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let race = DeadlineRace<Result>()
        // Whoever gives up (the deadline, or the caller's cancellation) closes the connection: the query on it
        // is abandoned, and the connection must not be used for another.
        let abandon: @Sendable (any Error) -> Void = { error in
            if race.abandon(with: error) {
                let closing: EventLoopFuture<Void> = connection.close()
                closing.whenComplete { _ in }
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let work = Task {
                    do {
                        race.finish(with: .success(try await body()))
                    } catch {
                        race.finish(with: .failure(error))
                    }
                }
                let timer = Task {
                    try? await Task.sleep(for: .seconds(seconds))
                    guard !Task.isCancelled else { return }
                    abandon(CDCError(.catalog, "a catalog query did not finish within \(seconds) s"))
                }
                race.start(continuation, work: work, timer: timer)
            }
        } onCancel: {
            abandon(CancellationError())
        }
    }

    /// Fills in type names (`format_type`), nullability and, under REPLICA IDENTITY FULL, the primary key as
    /// the key; and looks up the non-built-in types the columns use.
    func enrich(
        _ schema: TableSchema,
        catalog: PostgresTypeCatalog
    ) async throws -> (TableSchema, [PostgresTypeInfo]) {
        var enriched = schema
        let names = schema.columns.map(\.name)
        let oids = schema.columns.map { Int64($0.typeOID) }
        let modifiers = schema.columns.map { Int64($0.typeModifier) }
        let query: PostgresQuery = """
            SELECT c.ord::int8, pg_catalog.format_type(c.typ::oid, c.mod::int4), a.attnotnull,
                   COALESCE(a.attnum = ANY(i.indkey), false)
            FROM unnest(\(names)::text[], \(oids)::int8[], \(modifiers)::int8[]) WITH ORDINALITY AS c(name, typ, mod, ord)
            LEFT JOIN pg_catalog.pg_attribute a
                   ON a.attrelid = \(Int64(schema.relationID))::int8::oid AND a.attname = c.name AND NOT a.attisdropped
            LEFT JOIN pg_catalog.pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
            """
        let rows = try await self.connection.query(query, logger: self.logger)
        var hasPrimaryKey = false
        var primaryKey = Set<Int>()
        for try await (ordinal, typeName, notNull, isPrimary) in rows.decode((Int64, String?, Bool?, Bool).self) {
            let index = Int(ordinal) - 1
            guard enriched.columns.indices.contains(index) else { continue }
            enriched.columns[index].typeName = typeName ?? enriched.columns[index].typeName
            enriched.columns[index].isNullable = notNull.map { !$0 }
            if isPrimary {
                hasPrimaryKey = true
                primaryKey.insert(index)
            }
        }
        if schema.replicaIdentity == .full && hasPrimaryKey {
            for index in enriched.columns.indices {
                enriched.columns[index].isKey = primaryKey.contains(index)
            }
        }
        let unknown = Set(schema.columns.map(\.typeOID)).filter { oid in
            guard let info = catalog.info(for: oid) else { return true }
            return info.kind == .other
        }
        return (enriched, try await self.types(Array(unknown), known: catalog))
    }

    /// Looks up types and, recursively, the base types of domains and the element types of arrays.
    func types(_ oids: [UInt32], known: PostgresTypeCatalog) async throws -> [PostgresTypeInfo] {
        var pending = oids
        var found: [PostgresTypeInfo] = []
        var seen = Set<UInt32>()
        while !pending.isEmpty {
            let batch = pending.filter { seen.insert($0).inserted }
            pending = []
            guard !batch.isEmpty else { break }
            let query: PostgresQuery = """
                SELECT t.oid::int8, n.nspname::text, t.typname::text, t.typtype::text, t.typbasetype::int8,
                       t.typelem::int8, t.typcategory::text
                FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                WHERE t.oid = ANY(\(batch.map { Int64($0) })::int8[]::oid[])
                """
            let rows = try await self.connection.query(query, logger: self.logger)
            for try await (oid, namespace, name, type, base, element, category) in rows.decode(
                (Int64, String, String, String, Int64, Int64, String).self
            ) {
                let kind: PostgresTypeInfo.Kind
                if type == "e" {
                    kind = .enumeration
                } else if type == "d" {
                    kind = .domain(baseOID: UInt32(truncatingIfNeeded: base))
                    pending.append(UInt32(truncatingIfNeeded: base))
                } else if category == "A" && element != 0 {
                    kind = .array(elementOID: UInt32(truncatingIfNeeded: element))
                    pending.append(UInt32(truncatingIfNeeded: element))
                } else if type == "c" {
                    kind = .composite
                } else if type == "r" || type == "m" {
                    kind = .range
                } else if let builtin = known.info(for: UInt32(truncatingIfNeeded: oid)) {
                    kind = builtin.kind
                } else {
                    kind = .other
                }
                found.append(
                    PostgresTypeInfo(oid: UInt32(truncatingIfNeeded: oid), namespace: namespace, name: name, kind: kind)
                )
            }
            pending = pending.filter { known.info(for: $0) == nil || known.info(for: $0)?.kind == .other }
        }
        return found
    }

    /// Writes a non-transactional logical message so the slot has something to confirm on an idle server.
    func emitHeartbeat() async throws {
        _ = try await self.connection.query(
            "SELECT pg_catalog.pg_logical_emit_message(false, 'pgcdc.heartbeat', '')",
            logger: self.logger
        )
    }
}

/// The outcome of ``CatalogClient/withDeadline(seconds:closing:_:)``: the work's result or the reason it was
/// abandoned, whichever comes first; the continuation is resumed once.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var work: Task<Void, Never>?
        /// The deadline's sleep: cancelled when the work finishes first.
        var timer: Task<Void, Never>?
        /// Set once the race is decided: the outcome, kept for a `start` that comes after it.
        var outcome: Swift.Result<Value, any Error>?
    }

    private let state = Mutex(State())

    /// Hands over the continuation and the work; resumes at once when the race was already decided (the caller
    /// was cancelled before it began).
    func start(
        _ continuation: CheckedContinuation<Value, any Error>,
        work: Task<Void, Never>,
        timer: Task<Void, Never>
    ) {
        let decided = self.state.withLock { state -> Swift.Result<Value, any Error>? in
            guard let outcome = state.outcome else {
                state.continuation = continuation
                state.work = work
                state.timer = timer
                return nil
            }
            return outcome
        }
        if let decided {
            work.cancel()
            timer.cancel()
            continuation.resume(with: decided)
        }
    }

    /// The work finished.
    func finish(with result: Swift.Result<Value, any Error>) {
        let decided = self.state.withLock { state -> (CheckedContinuation<Value, any Error>?, Task<Void, Never>?)? in
            guard state.outcome == nil else { return nil }
            state.outcome = result
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (state.continuation, state.timer)
        }
        guard let (continuation, timer) = decided else { return }
        timer?.cancel()
        continuation?.resume(with: result)
    }

    /// Gives up on the work with `error`.
    /// - Returns: whether this call decided the race (the work had not finished).
    func abandon(with error: any Error) -> Bool {
        let decided = self.state.withLock {
            state -> (CheckedContinuation<Value, any Error>?, Task<Void, Never>?, Task<Void, Never>?)? in
            guard state.outcome == nil else { return nil }
            state.outcome = .failure(error)
            defer {
                state.continuation = nil
                state.work = nil
                state.timer = nil
            }
            return (state.continuation, state.work, state.timer)
        }
        guard let (continuation, work, timer) = decided else { return false }
        work?.cancel()
        timer?.cancel()
        continuation?.resume(throwing: error)
        return true
    }
}
