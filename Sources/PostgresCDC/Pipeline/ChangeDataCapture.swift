import Foundation
public import Logging
import PGOutput
import PostgresNIO
public import PostgresWire
public import ServiceLifecycle

/// Streams the changes of a publication to a ``ChangeHandler``: connects, creates the slot when missing,
/// decodes pgoutput into typed events, acknowledges what the handler finished, and reconnects after a broken
/// connection — resuming after the last acknowledged transaction.
///
/// It is a `Service`: run it in a `ServiceGroup`, or call ``run()`` yourself. On graceful shutdown (or task
/// cancellation) it finishes the transaction in progress, sends a last status update with what was
/// acknowledged, and returns.
///
/// - Important: after a restart, streaming resumes after the last *acknowledged* transaction: transactions
///   delivered but not acknowledged are delivered again; acknowledged ones are not.
public struct ChangeDataCapture: Service {
    let configuration: CDCConfiguration
    let handler: any ChangeHandler
    let logger: Logger
    let acknowledger: Acknowledger
    let stopSignal = StopSignal()

    /// Creates the pipeline.
    /// - Parameters:
    ///   - configuration: what to stream.
    ///   - handler: where events go.
    ///   - logger: logs at info and below.
    public init(configuration: CDCConfiguration, handler: some ChangeHandler, logger: Logger) {
        self.configuration = configuration
        self.handler = handler
        var logger = logger
        logger[metadataKey: "pgcdc.slot"] = "\(configuration.slot)"
        self.logger = logger
        self.acknowledger = Acknowledger(start: configuration.startLSN)
    }

    /// The highest position acknowledged so far.
    public var acknowledgedPosition: LSN { self.acknowledger.acknowledged }

    /// Calls `listener` after every acknowledgement, with the acknowledged position (for checkpoint stores).
    /// - Parameter listener: called on whichever task acknowledged.
    public func onAcknowledge(_ listener: @escaping @Sendable (LSN) -> Void) {
        self.acknowledger.onAcknowledge(listener)
    }

    /// Asks the pipeline to stop at the next transaction boundary; ``run()`` then returns.
    public func requestStop() {
        self.stopSignal.request()
    }

    /// Streams until stopped (graceful shutdown, cancellation, ``requestStop()``, or `endLSN` reached).
    /// - Throws: ``CDCError`` when the setup is wrong, the handler throws, or the connection cannot be
    ///   re-established within the reconnect policy.
    public func run() async throws {
        let stop = self.stopSignal
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await self.runLoop()
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            stop.request()
        }
    }

    private func runLoop() async throws {
        var session = StreamSession(configuration: self.configuration, acknowledger: self.acknowledger)
        var failures = 0
        var delay = self.configuration.reconnect.initialDelay
        var settings = self.configuration.connection
        if settings.targetSessionAttributes == .any {
            // The slot lives on the primary; never take a standby for it.
            settings.targetSessionAttributes = .readWrite
        }
        while !self.stopSignal.isRequested {
            do {
                try await ReplicationConnection.withConnection(
                    to: settings,
                    configuration: self.configuration.replication,
                    logger: self.logger
                ) { connection in
                    try await self.stream(on: connection, session: &session)
                }
                return
            } catch {
                // A connection that streamed before it broke starts a fresh series of attempts.
                if session.streamedSinceLastFailure {
                    session.streamedSinceLastFailure = false
                    failures = 0
                    delay = self.configuration.reconnect.initialDelay
                }
                guard session.hasStreamed, Self.isTransient(error),
                    failures < (self.configuration.reconnect.maximumAttempts ?? .max)
                else {
                    throw Self.explain(error, slot: self.configuration.slot)
                }
                failures += 1
                self.logger.info(
                    "replication connection lost; reconnecting",
                    metadata: [
                        "error": "\(error)", "pgcdc.attempt": "\(failures)", "pgcdc.delay": "\(delay)",
                        "pgcdc.lsn": "\(self.acknowledger.acknowledged)",
                    ]
                )
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, self.configuration.reconnect.maximumDelay)
            }
        }
    }

    /// One connection's worth of streaming.
    private func stream(on connection: ReplicationConnection, session: inout StreamSession) async throws {
        let version = try self.protocolVersion(for: connection)
        let identity = try await connection.identifySystem()
        try await self.followFailover(to: identity, on: connection, session: &session)
        try await self.checkSetup(on: connection)
        let catalog = try await self.connectCatalog(for: connection)
        do {
            let logTablesInstalled = try await self.logTablesInstalled(on: connection)
            let outcome = try await self.ensureSlot(
                on: connection,
                session: &session,
                catalog: catalog,
                logTablesInstalled: logTablesInstalled
            )
            guard outcome == .stream else {
                await catalog.close()
                return
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                let keeper = session.keeper
                let acknowledger = self.acknowledger
                let logTables = logTablesInstalled ? self.configuration.logTables : nil
                let logger = self.logger
                group.addTask {
                    await keeper.run(
                        acknowledger: acknowledger,
                        logTables: logTables,
                        sql: catalog.connection,
                        logger: logger
                    )
                }
                defer { group.cancelAll() }
                try await self.stream(on: connection, session: &session, version: version, catalog: catalog)
            }
        } catch {
            await catalog.close()
            throw error
        }
        await catalog.close()
    }

    private func stream(
        on connection: ReplicationConnection,
        session: inout StreamSession,
        version: PGOutputProtocolVersion,
        catalog: CatalogClient
    ) async throws {
        let slot = self.configuration.slot

        let start = max(self.configuration.startLSN, self.acknowledger.acknowledged)
        let stream = try await connection.startReplication(
            slot: slot,
            startLSN: start,
            options: self.configuration.pluginOptions(
                version: version,
                serverMajorVersion: connection.serverMajorVersion
            )
        )
        session.hasStreamed = true
        session.streamedSinceLastFailure = true
        session.assembler.reset()
        session.heldBegin = nil
        self.acknowledger.attach(connection.feedback)
        self.stopSignal.attach(connection.feedback)
        defer {
            self.acknowledger.attach(nil)
            self.stopSignal.attach(nil)
        }
        var decoder = PGOutputDecoder(protocolVersion: version)

        try await withThrowingTaskGroup(of: Void.self) { group in
            if let interval = self.configuration.heartbeatInterval {
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: interval)
                        try? await catalog.withDeadline { try await catalog.emitHeartbeat() }
                    }
                }
            }
            defer { group.cancelAll() }
            do {
                try await self.consume(stream, session: &session, decoder: &decoder, catalog: catalog)
            } catch let error as CDCError {
                // Our side failed (handler, decoding): end the stream cleanly so that every acknowledgement
                // made so far reaches the server, then report.
                await session.keeper.flush(acknowledger: self.acknowledger, logger: self.logger)
                try? await stream.stop()
                throw error
            }
            await session.keeper.flush(acknowledger: self.acknowledger, logger: self.logger)
            try await stream.stop()
            self.logger.info(
                "replication stopped",
                metadata: ["pgcdc.lsn": "\(self.acknowledger.acknowledged)"]
            )
        }
    }

    /// Reads the stream until a stop is due at a transaction boundary.
    private func consume(
        _ stream: ReplicationStream,
        session: inout StreamSession,
        decoder: inout PGOutputDecoder,
        catalog: CatalogClient
    ) async throws {
        let slot = self.configuration.slot
        var stopPending = false
        messages: for try await message in stream {
            switch message {
            case .xlogData(let data):
                let decoded: PGOutputMessage
                do {
                    decoded = try decoder.decode(data.data, walStart: data.walStart.value)
                } catch {
                    throw CDCError(
                        .decoding,
                        "a pgoutput message could not be decoded: \(error)",
                        slot: slot,
                        lsn: data.walStart,
                        underlying: error
                    )
                }
                let finished = try await self.deliver(
                    session.assembler.process(decoded, walStart: data.walStart),
                    session: &session,
                    catalog: catalog
                )
                if let finished, let end = self.configuration.endLSN, finished >= end {
                    stopPending = true
                }
            case .keepalive(let keepalive):
                if !session.assembler.isInTransaction {
                    self.advanceIfCaughtUp(to: keepalive.walEnd, session: &session)
                    if let end = self.configuration.endLSN, keepalive.walEnd >= end {
                        stopPending = true
                    }
                }
            case .stopRequested:
                stopPending = true
            }
            if stopPending && !session.assembler.isInTransaction {
                break messages
            }
        }
    }

    /// Hands the events of one pgoutput message to the handler.
    /// - Returns: the end position of a transaction that finished with this message.
    private func deliver(
        _ output: ChangeAssembler.Output,
        session: inout StreamSession,
        catalog: CatalogClient
    ) async throws -> LSN? {
        switch output {
        case .none:
            return nil
        case .one(let event):
            return try await self.deliver(event, session: &session, catalog: catalog)
        case .many(let events):
            var finished: LSN?
            for event in events {
                finished = try await self.deliver(event, session: &session, catalog: catalog) ?? finished
            }
            return finished
        }
    }

    @discardableResult
    func deliver(_ event: CDCEvent, session: inout StreamSession, catalog: CatalogClient) async throws -> LSN? {
        var event = event
        // The failover log tables are ours, never the user's (a publication FOR ALL TABLES includes them). A
        // transaction's begin is held until the transaction shows something of the user's: one that wrote only our
        // tables (the checkpoint row, under FOR ALL TABLES) is not shown at all.
        switch event {
        case .begin(let transaction):
            session.heldBegin = transaction
            session.heldTransactionWroteLogTables = false
            return nil
        case .relation(let table)
        where self.configuration.logTables.isLogTable(namespace: table.namespace, name: table.name):
            return nil
        case .change(let change):
            if let table = change.table,
                self.configuration.logTables.isLogTable(namespace: table.namespace, name: table.name)
            {
                if session.heldBegin != nil { session.heldTransactionWroteLogTables = true }
                return nil
            }
        case .commit(let commit, _) where session.heldBegin != nil && session.heldTransactionWroteLogTables:
            session.heldBegin = nil
            // Nothing to show, and no log entries to prune: its position moves on like a keepalive's.
            self.advanceIfCaughtUp(to: commit.endLSN, session: &session)
            return commit.endLSN
        default:
            break
        }
        if let transaction = session.heldBegin {
            session.heldBegin = nil
            try await self.dispatch(.begin(transaction))
        }
        if case .relation(let schema) = event {
            do {
                let known = session.assembler.catalog
                let (enriched, types) = try await catalog.withDeadline {
                    try await catalog.enrich(schema, catalog: known)
                }
                session.assembler.register(types)
                session.assembler.replaceSchema(enriched)
                event = .relation(enriched)
            } catch {
                throw CDCError(
                    .catalog,
                    "could not read the catalog entry of table \(schema.qualifiedName)",
                    slot: self.configuration.slot,
                    relation: schema.qualifiedName,
                    underlying: error
                )
            }
        }
        try await self.dispatch(event)
        switch event {
        case .commit(let commit, let acknowledgement), .prepared(let commit, _, let acknowledgement):
            session.keeper.delivered(commit)
            session.lastDelivered = max(session.lastDelivered, commit.endLSN)
            if self.configuration.acknowledgement == .afterCommitHandler {
                acknowledgement.acknowledge()
            }
            return commit.endLSN
        case .preparedOutcome(_, _, _, let acknowledgement):
            session.lastDelivered = max(session.lastDelivered, acknowledgement.position)
            if self.configuration.acknowledgement == .afterCommitHandler {
                acknowledgement.acknowledge()
            }
            return acknowledgement.position
        case .change(let change) where change.transaction == nil:
            // A non-transactional message: its own unit of acknowledgement.
            let position = change.lsn.advanced(by: 1)
            session.lastDelivered = max(session.lastDelivered, position)
            if self.configuration.acknowledgement == .afterCommitHandler {
                self.acknowledger.acknowledge(position)
            }
            return position
        default:
            return nil
        }
    }

    /// Acknowledges a position with nothing of the user's before it (a keepalive's, or a transaction that is not
    /// shown) once everything delivered is acknowledged, when ``CDCConfiguration/advanceOnKeepalive`` allows it.
    private func advanceIfCaughtUp(to position: LSN, session: inout StreamSession) {
        guard self.configuration.advanceOnKeepalive, self.acknowledger.acknowledged >= session.lastDelivered else {
            return
        }
        self.acknowledger.acknowledge(position)
        session.lastDelivered = max(session.lastDelivered, position)
    }

    /// Hands one event to the handler (its errors become ``CDCError/Code/handler``).
    func dispatch(_ event: CDCEvent) async throws(CDCError) {
        do {
            try await self.handler.dispatch(event)
        } catch {
            throw CDCError(
                .handler,
                "the change handler failed; nothing after the last acknowledged transaction was acknowledged",
                slot: self.configuration.slot,
                lsn: self.acknowledger.acknowledged,
                underlying: error
            )
        }
    }

    // MARK: setup

    private func protocolVersion(for connection: ReplicationConnection) throws(CDCError) -> PGOutputProtocolVersion {
        let highest = PGOutputProtocolVersion.highest(forServerMajorVersion: connection.serverMajorVersion)
        guard let wanted = self.configuration.protocolVersion else { return highest }
        guard wanted <= highest, wanted >= .v1 else {
            throw CDCError(
                .configuration,
                "pgoutput protocol version \(wanted.rawValue) is not supported by PostgreSQL "
                    + "\(connection.serverMajorVersion) (highest: \(highest.rawValue))",
                slot: self.configuration.slot
            )
        }
        return wanted
    }

    private func checkSetup(on connection: ReplicationConnection) async throws {
        let slot = self.configuration.slot
        if let problem = ReplicationCommandQuoting.slotNameProblem(slot) {
            throw CDCError(.configuration, problem, slot: slot)
        }
        guard !self.configuration.publications.isEmpty else {
            throw CDCError(.configuration, "no publication given: name at least one", slot: slot)
        }
        let names = self.configuration.publications.map(ReplicationCommandQuoting.literal).joined(separator: ",")
        let results = try await connection.simpleQuery(
            "SELECT current_setting('wal_level'); SELECT pubname::text FROM pg_catalog.pg_publication WHERE pubname IN (\(names))"
        )
        let walLevel = results.first?.rows.first?.first ?? nil
        guard walLevel == "logical" else {
            throw CDCError(
                .walLevel,
                "wal_level is '\(walLevel ?? "unknown")' on \(connection.endpoint), logical replication needs "
                    + "'logical': set wal_level = logical in postgresql.conf and restart the server",
                slot: slot
            )
        }
        let existing = Set((results.dropFirst().first?.rows ?? []).compactMap { $0.first ?? nil })
        let missing = self.configuration.publications.filter { !existing.contains($0) }
        guard missing.isEmpty else {
            throw CDCError(
                .publicationMissing,
                "publication \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) does not exist in database "
                    + "\"\(connection.database)\" on \(connection.endpoint): create it with CREATE PUBLICATION "
                    + "\(missing[0]) FOR TABLE ...",
                slot: slot
            )
        }
    }

    private func ensureSlot(
        on connection: ReplicationConnection,
        session: inout StreamSession,
        catalog: CatalogClient,
        logTablesInstalled: Bool
    ) async throws -> SlotOutcome {
        let slot = self.configuration.slot
        let result = try await connection.simpleQuery(
            "SELECT plugin::text, active::text, active_pid::text, database::text FROM pg_catalog.pg_replication_slots "
                + "WHERE slot_name = \(ReplicationCommandQuoting.literal(slot))"
        ).first
        if let row = result?.rows.first {
            let plugin = row[0] ?? ""
            guard plugin == "pgoutput" else {
                throw CDCError(
                    .configuration,
                    "slot \"\(slot)\" uses the output plugin '\(plugin)', not pgoutput: drop it or choose another slot name",
                    slot: slot
                )
            }
            guard row[3] == connection.database else {
                throw CDCError(
                    .configuration,
                    "slot \"\(slot)\" belongs to database \"\(row[3] ?? "?")\", not \"\(connection.database)\"",
                    slot: slot
                )
            }
            if row[1] == "true" {
                throw CDCError(
                    .slotInUse,
                    "slot \"\(slot)\" on \(connection.endpoint) is in use by another connection (pid "
                        + "\(row[2] ?? "?")): stop that consumer or choose another slot name",
                    slot: slot
                )
            }
            // A slot whose initial snapshot never finished is dropped here and created anew below.
            if let outcome = try await self.existingSlotOutcome(on: connection) { return outcome }
        }
        if session.hasHistory {
            // The slot vanished although we streamed from it: a failover to a server without it (or someone
            // dropped it). A new slot would start now and silently skip what committed in between.
            return try await self.recoverMissingSlot(
                on: connection,
                session: &session,
                catalog: catalog,
                logTablesInstalled: logTablesInstalled
            )
        }
        guard self.configuration.createSlot else {
            throw CDCError(
                .slotMissing,
                "slot \"\(slot)\" does not exist on \(connection.endpoint) and creating it is disabled",
                slot: slot
            )
        }
        try await self.markSlotSetupStarted(on: connection)
        let created = try await connection.createReplicationSlot(
            slot,
            temporary: self.configuration.temporarySlot,
            snapshot: .export,
            twoPhase: self.configuration.twoPhase,
            failover: self.configuration.failoverSlot
        )
        return try await self.slotWasCreated(created, on: connection, catalog: catalog, session: &session)
    }

    /// A new slot exists and its snapshot is exported (valid while `connection` stays idle): tell the handler.
    func slotWasCreated(
        _ created: CreatedReplicationSlot,
        on connection: ReplicationConnection,
        catalog: CatalogClient,
        session: inout StreamSession
    ) async throws -> SlotOutcome {
        let slot = self.configuration.slot
        let info = SlotCreation(
            slotName: created.name,
            consistentPoint: created.consistentPoint,
            snapshotName: created.snapshotName,
            plugin: created.outputPlugin ?? "pgoutput",
            publications: self.configuration.publications
        )
        do {
            try await self.handler.slotCreated(info)
        } catch {
            throw CDCError(
                .handler,
                "the slot-created handler failed",
                slot: slot,
                lsn: created.consistentPoint,
                underlying: error
            )
        }
        // While this connection stays idle its exported snapshot is valid: copy the existing rows in it.
        return try await self.finishSlotSetup(info, on: connection)
    }

    private func connectCatalog(for connection: ReplicationConnection) async throws -> CatalogClient {
        var settings = self.configuration.connection
        settings.endpoints = [connection.endpoint]
        do {
            return try await CatalogClient.connect(
                settings: settings,
                endpoint: connection.endpoint,
                logger: self.logger
            )
        } catch {
            throw CDCError(
                .catalog,
                "could not open a SQL connection to \(connection.endpoint) for catalog lookups",
                slot: self.configuration.slot,
                underlying: error
            )
        }
    }

    // MARK: errors

    /// Whether a failure is worth a reconnect: the connection broke, the server restarted or shut down, or
    /// (just after a broken connection) the old walsender still holds the slot.
    static func isTransient(_ error: any Error) -> Bool {
        if let cdc = error as? CDCError {
            return cdc.code == .slotInUse
        }
        guard let error = error as? PostgresWireError else { return false }
        switch error.code {
        case .connectionClosed, .connectionFailed, .connectTimeout, .noSuitableHost:
            return true
        case .server:
            let state = error.serverFields?.sqlState ?? ""
            return state.hasPrefix("57") || state.hasPrefix("08") || state == "55006" || state == "53300"
        default:
            return false
        }
    }

    /// Turns a wire error into a sentence that says what to do.
    static func explain(_ error: any Error, slot: String) -> CDCError {
        if let cdc = error as? CDCError { return cdc }
        guard let wire = error as? PostgresWireError else {
            return CDCError(.connection, "replication failed: \(error)", slot: slot, underlying: error)
        }
        let where_ = wire.host.map { " on \($0)" + (wire.port.map { ":\($0)" } ?? "") } ?? ""
        let message = wire.serverFields?.message ?? ""
        let lowered = (message + " " + (wire.serverFields?.detail ?? "")).lowercased()
        switch wire.serverFields?.sqlState {
        // PostgreSQL 15: "must be superuser or replication role to start walsender"; 16+: "permission denied to
        // start WAL sender" (detail: "Only roles with the REPLICATION attribute ...").
        case "42501"
        where lowered.contains("replication") || lowered.contains("walsender") || lowered.contains("wal sender"):
            return CDCError(
                .privilege,
                "user \"\(wire.user ?? "?")\" may not start replication\(where_): grant it with ALTER ROLE "
                    + "\(wire.user ?? "name") REPLICATION (or connect as a role that has it)",
                slot: slot,
                underlying: wire
            )
        case "42501":
            return CDCError(
                .privilege,
                "user \"\(wire.user ?? "?")\" lacks a privilege\(where_): \(message)",
                slot: slot,
                underlying: wire
            )
        case "55006":
            return CDCError(
                .slotInUse,
                "slot \"\(slot)\" is in use by another connection\(where_): stop that consumer or choose another slot",
                slot: slot,
                underlying: wire
            )
        case "55000" where wire.serverFields?.message?.contains("wal_level") == true:
            return CDCError(
                .walLevel,
                "logical replication needs wal_level = logical\(where_): set it in postgresql.conf and restart",
                slot: slot,
                underlying: wire
            )
        case "42704" where wire.serverFields?.message?.contains("publication") == true:
            return CDCError(.publicationMissing, "a publication does not exist\(where_)", slot: slot, underlying: wire)
        default:
            return CDCError(.connection, wire.description, slot: slot, underlying: wire)
        }
    }
}

/// What survives reconnects within one run.
struct StreamSession {
    var assembler: ChangeAssembler
    /// Persists acknowledgements before they are forwarded; remembers what was delivered.
    let keeper: CheckpointKeeper
    /// The server's system identifier, once connected.
    var systemID: String?
    /// The timeline of the last connection (or of the loaded checkpoint).
    var timeline: UInt32?
    /// The checkpoint loaded at start.
    var checkpoint: Checkpoint?
    /// The end of the last transaction (or message) handed to the handler.
    var lastDelivered: LSN = .zero
    var hasStreamed = false
    var streamedSinceLastFailure = false
    /// A transaction's begin not handed to the handler yet (see `deliver`).
    var heldBegin: TransactionInfo?
    /// Whether the transaction of `heldBegin` wrote the failover log tables (and nothing of the user's so far).
    var heldTransactionWroteLogTables = false

    /// Whether this consumer has streamed from the slot before (in this run, or per its checkpoint).
    var hasHistory: Bool { self.hasStreamed || self.checkpoint != nil }

    init(configuration: CDCConfiguration, acknowledger: Acknowledger) {
        self.assembler = ChangeAssembler(acknowledger: acknowledger)
        self.keeper = CheckpointKeeper(
            slot: configuration.slot,
            store: configuration.checkpointStore,
            start: configuration.startLSN
        )
    }
}
