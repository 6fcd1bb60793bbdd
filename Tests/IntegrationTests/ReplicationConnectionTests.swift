import CDCTestSupport
import Foundation
import NIOCore
import PostgresWire
import Testing

@Suite(.enabled(if: TestDatabase.shouldRun, "start Postgres with scripts/test-cluster.sh start"))
struct ReplicationConnectionTests {
    // MARK: authentication

    @Test(arguments: [("trusty", "trust"), ("md5user", "md5"), ("pwuser", "password"), ("cdc", "SCRAM-SHA-256")])
    func authenticatesWithEachMethod(user: String, method: String) async throws {
        try TestDatabase.requireConfigured()
        let identity = try await TestDatabase.withReplicationConnection(settings: TestDatabase.settings(user: user)) {
            connection in
            #expect(connection.authenticationMethod == method)
            return try await connection.identifySystem()
        }
        #expect(!identity.systemID.isEmpty)
    }

    @Test func wrongPasswordIsAClearErrorWithoutThePassword() async throws {
        try TestDatabase.requireConfigured()
        let error = await #expect(throws: PostgresWireError.self) {
            try await TestDatabase.withReplicationConnection(
                settings: TestDatabase.settings(user: "cdc", password: "not-the-password-xyz")
            ) { _ in }
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.serverFields?.sqlState == "28P01")
        #expect(error?.description.contains("authentication failed") == true)
        #expect(error?.description.contains(TestDatabase.host) == true)
        #expect(error.map { String(reflecting: $0).contains("not-the-password-xyz") } == false)
    }

    @Test func unreachableHostNamesTheHost() async throws {
        try TestDatabase.requireConfigured()
        let error = await #expect(throws: PostgresWireError.self) {
            try await TestDatabase.withReplicationConnection(settings: TestDatabase.settings(port: 1)) { _ in }
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.port == 1)
    }

    // MARK: TLS

    @Test func verifyFullPassesForTheCertificatesHostName() async throws {
        try TestDatabase.requireConfigured()
        guard let rootCert = TestDatabase.sslRootCertificatePath else { return }  // server built without TLS
        var settings = TestDatabase.settings(host: "localhost", sslMode: .verifyFull)
        settings.sslRootCert = rootCert
        let isTLS = try await TestDatabase.withReplicationConnection(settings: settings) { $0.isTLS }
        #expect(isTLS)
    }

    @Test func verifyFullFailsForAnotherHostName() async throws {
        try TestDatabase.requireConfigured()
        guard let rootCert = TestDatabase.sslRootCertificatePath else { return }
        var settings = TestDatabase.settings(host: "127.0.0.1", sslMode: .verifyFull)
        settings.sslRootCert = rootCert
        let error = await #expect(throws: PostgresWireError.self) {
            try await TestDatabase.withReplicationConnection(settings: settings) { _ in }
        }
        #expect(error?.code == .tls)
    }

    @Test func requireEncryptsAndDisableDoesNot() async throws {
        try TestDatabase.requireConfigured()
        guard TestDatabase.sslRootCertificatePath != nil else {
            // Without TLS on the server, require must refuse rather than fall back to plaintext.
            let error = await #expect(throws: PostgresWireError.self) {
                try await TestDatabase.withReplicationConnection(settings: TestDatabase.settings(sslMode: .require)) {
                    _ in
                }
            }
            #expect(error?.code == .tls)
            return
        }
        #expect(
            try await TestDatabase.withReplicationConnection(settings: TestDatabase.settings(sslMode: .require)) {
                $0.isTLS
            }
        )
        #expect(
            try await TestDatabase.withReplicationConnection(settings: TestDatabase.settings(sslMode: .disable)) {
                $0.isTLS
            } == false
        )
        #expect(
            try await TestDatabase.withReplicationConnection(settings: TestDatabase.settings(sslMode: .prefer)) {
                $0.isTLS
            }
        )
    }

    // MARK: commands

    @Test func identifySystemReportsTheServer() async throws {
        try TestDatabase.requireConfigured()
        try await TestDatabase.withReplicationConnection { connection in
            let identity = try await connection.identifySystem()
            #expect(identity.timeline >= 1)
            #expect(identity.xlogPosition > .zero)
            #expect(identity.database == TestDatabase.database)
            let sqlID = try await connection.simpleQuery("SELECT system_identifier::text FROM pg_control_system()")
            #expect(sqlID.first?.rows.first?.first == identity.systemID)
            #expect(connection.serverMajorVersion >= 14)
        }
    }

    @Test func createsAndDropsSlots() async throws {
        try TestDatabase.requireConfigured()
        let slot = TestDatabase.uniqueName("slot")
        try await TestDatabase.withReplicationConnection { connection in
            let created = try await connection.createReplicationSlot(slot, snapshot: .export)
            #expect(created.name == slot)
            #expect(created.outputPlugin == "pgoutput")
            #expect(created.snapshotName?.isEmpty == false)
            #expect(created.consistentPoint > .zero)
        }
        let listed = try await TestDatabase.execute(
            "SELECT plugin, temporary::text FROM pg_replication_slots WHERE slot_name = '\(slot)'"
        )
        #expect(listed.first?.rows == [["pgoutput", "false"]])
        // A second create of the same name fails with the server's duplicate-object error.
        let duplicate = await #expect(throws: PostgresWireError.self) {
            try await TestDatabase.withReplicationConnection {
                try await $0.createReplicationSlot(slot, snapshot: .nothing)
            }
        }
        #expect(duplicate?.serverFields?.sqlState == "42710")
        #expect(duplicate?.slot == slot)
        try await TestDatabase.withReplicationConnection { try await $0.dropReplicationSlot(slot, wait: true) }
        let after = try await TestDatabase.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = '\(slot)'")
        #expect(after.first?.rows.isEmpty == true)
        let missing = await #expect(throws: PostgresWireError.self) {
            try await TestDatabase.withReplicationConnection { try await $0.dropReplicationSlot(slot) }
        }
        #expect(missing?.serverFields?.sqlState == "42704")
    }

    @Test func temporarySlotsVanishWithTheConnection() async throws {
        try TestDatabase.requireConfigured()
        let slot = TestDatabase.uniqueName("tmp")
        try await TestDatabase.withReplicationConnection { connection in
            _ = try await connection.createReplicationSlot(slot, temporary: true, snapshot: .nothing)
            let during = try await connection.simpleQuery(
                "SELECT temporary::text FROM pg_replication_slots WHERE slot_name = '\(slot)'"
            )
            #expect(during.first?.rows == [["true"]])
        }
        // The server drops it when the session ends; give it a moment.
        var remaining = 1
        for _ in 0..<50 where remaining > 0 {
            remaining =
                try await TestDatabase.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = '\(slot)'")
                .first?.rows.count ?? 0
            if remaining > 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(remaining == 0)
    }

    @Test func invalidSlotNamesAreRefusedBeforeReachingTheServer() async throws {
        try TestDatabase.requireConfigured()
        try await TestDatabase.withReplicationConnection { connection in
            let error = await #expect(throws: PostgresWireError.self) {
                try await connection.createReplicationSlot("Bad Name")
            }
            #expect(error?.code == .invalidArgument)
            // The connection is still usable.
            _ = try await connection.identifySystem()
        }
    }

    @Test func timelineOneHasNoHistory() async throws {
        try TestDatabase.requireConfigured()
        try await TestDatabase.withReplicationConnection { connection in
            let error = await #expect(throws: PostgresWireError.self) { try await connection.timelineHistory(1) }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func readReplicationSlotReportsAPhysicalSlotsPosition() async throws {
        try TestDatabase.requireConfigured()
        let physical = TestDatabase.uniqueName("phys")
        let logical = TestDatabase.uniqueName("slot")
        try await TestDatabase.execute("SELECT pg_create_physical_replication_slot('\(physical)', true)")
        do {
            try await self.readReplicationSlot(physical: physical, logical: logical)
        } catch {
            _ = try? await TestDatabase.execute("SELECT pg_drop_replication_slot('\(physical)')")
            throw error
        }
        try await TestDatabase.execute("SELECT pg_drop_replication_slot('\(physical)')")
    }

    func readReplicationSlot(physical: String, logical: String) async throws {
        let expected = try await TestDatabase.execute(
            "SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '\(physical)'"
        )
        try await TestDatabase.withReplicationConnection { connection in
            let timeline = try await connection.identifySystem().timeline
            let position = try #require(try await connection.readReplicationSlot(physical))
            #expect(position.slotType == "physical")
            #expect(position.restartLSN.map(\.description) == expected.first?.rows.first?.first ?? nil)
            #expect(position.restartLSN.map { $0 > .zero } == true)
            #expect(position.restartTimeline == timeline)
            // A slot that does not exist: no row.
            #expect(try await connection.readReplicationSlot(TestDatabase.uniqueName("none")) == nil)
            // A logical slot: the server refuses, and the error names the slot.
            _ = try await connection.createReplicationSlot(logical, temporary: true, snapshot: .nothing)
            let error = await #expect(throws: PostgresWireError.self) {
                try await connection.readReplicationSlot(logical)
            }
            #expect(error?.code == .server)
            #expect(error?.slot == logical)
            // The connection is still usable.
            _ = try await connection.identifySystem()
        }
    }

    // MARK: streaming

    /// Creates a table, a publication and a slot; runs `body`; drops them again.
    func withStreamingFixture(
        _ body: (_ table: String, _ publication: String, _ slot: String) async throws -> Void
    ) async throws {
        let table = TestDatabase.uniqueName("tbl")
        let publication = TestDatabase.uniqueName("pub")
        let slot = TestDatabase.uniqueName("slot")
        try await TestDatabase.execute(
            "CREATE TABLE \(table) (id int PRIMARY KEY, note text); CREATE PUBLICATION \(publication) FOR TABLE \(table)"
        )
        try await TestDatabase.withReplicationConnection {
            _ = try await $0.createReplicationSlot(slot, snapshot: .nothing)
        }
        do {
            try await body(table, publication, slot)
        } catch {
            _ = try? await TestDatabase.withReplicationConnection { try await $0.dropReplicationSlot(slot, wait: true) }
            _ = try? await TestDatabase.execute("DROP PUBLICATION \(publication); DROP TABLE \(table)")
            throw error
        }
        try await TestDatabase.withReplicationConnection { try await $0.dropReplicationSlot(slot, wait: true) }
        try await TestDatabase.execute("DROP PUBLICATION \(publication); DROP TABLE \(table)")
    }

    static func pgoutputOptions(_ publication: String) -> [(String, String)] {
        [("proto_version", "1"), ("publication_names", ReplicationCommandQuoting.publicationNames([publication]))]
    }

    /// The first byte of each XLogData payload (the pgoutput message tag) until a Commit (`C`) arrives.
    static func readOneTransaction(_ stream: ReplicationStream) async throws -> (tags: [Character], commitEnd: LSN) {
        var tags: [Character] = []
        for try await message in stream {
            guard case .xlogData(let data) = message else { continue }
            guard let tag = data.data.getInteger(at: data.data.readerIndex, as: UInt8.self) else { continue }
            tags.append(Character(UnicodeScalar(tag)))
            if tag == UInt8(ascii: "C") {
                // Commit: flags(1) commit LSN(8) end LSN(8) timestamp(8)
                let end = data.data.getInteger(at: data.data.readerIndex + 10, endianness: .big, as: UInt64.self) ?? 0
                return (tags, LSN(end))
            }
        }
        throw PostgresWireError(.connectionClosed, "the stream ended before a commit")
    }

    @Test func streamsXLogDataForAnInsert() async throws {
        try TestDatabase.requireConfigured()
        try await self.withStreamingFixture { table, publication, slot in
            try await TestDatabase.execute("INSERT INTO \(table) VALUES (1, 'hello')")
            try await TestDatabase.withReplicationConnection { connection in
                let stream = try await connection.startReplication(
                    slot: slot,
                    options: Self.pgoutputOptions(publication)
                )
                let transaction = try await Self.readOneTransaction(stream)
                #expect(transaction.tags == ["B", "R", "I", "C"])
                try await stream.stop()
                // After the stream ends, the connection runs commands again.
                _ = try await connection.identifySystem()
            }
        }
    }

    @Test func statusUpdateMovesConfirmedFlushOnlyToTheAcknowledgedPosition() async throws {
        try TestDatabase.requireConfigured()
        try await self.withStreamingFixture { table, publication, slot in
            try await TestDatabase.execute("INSERT INTO \(table) VALUES (1, 'first')")
            try await TestDatabase.execute("INSERT INTO \(table) VALUES (2, 'second')")
            let before = try await Self.confirmedFlush(slot)
            let acknowledged = try await TestDatabase.withReplicationConnection { connection in
                let stream = try await connection.startReplication(
                    slot: slot,
                    options: Self.pgoutputOptions(publication)
                )
                let first = try await Self.readOneTransaction(stream)
                let second = try await Self.readOneTransaction(stream)
                #expect(second.commitEnd > first.commitEnd)
                // Both received; only the first acknowledged.
                connection.feedback.acknowledge(first.commitEnd, immediately: true)
                let confirmed = try await Self.waitForConfirmedFlush(slot, atLeast: first.commitEnd)
                #expect(confirmed == first.commitEnd)
                #expect(confirmed > before)
                try await stream.stop()
                return first.commitEnd
            }
            // The clean stop sent a last status with the acknowledged position, not the received one.
            #expect(try await Self.confirmedFlush(slot) == acknowledged)
            // Restarting delivers the second transaction again: it was never acknowledged.
            try await TestDatabase.withReplicationConnection { connection in
                let stream = try await connection.startReplication(
                    slot: slot,
                    options: Self.pgoutputOptions(publication)
                )
                let again = try await Self.readOneTransaction(stream)
                #expect(again.tags == ["B", "R", "I", "C"])
                try await stream.stop()
            }
        }
    }

    static func confirmedFlush(_ slot: String) async throws -> LSN {
        let result = try await TestDatabase.execute(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '\(slot)'"
        )
        guard let text = result.first?.rows.first?.first ?? nil, let lsn = LSN(text) else {
            throw PostgresWireError(.protocolViolation, "slot \(slot) has no confirmed_flush_lsn")
        }
        return lsn
    }

    static func waitForConfirmedFlush(_ slot: String, atLeast target: LSN) async throws -> LSN {
        var current = try await confirmedFlush(slot)
        for _ in 0..<100 where current < target {
            try await Task.sleep(for: .milliseconds(50))
            current = try await confirmedFlush(slot)
        }
        return current
    }

    @Test func slowConsumerSurvivesWalSenderTimeout() async throws {
        try TestDatabase.requireConfigured()
        try await self.withStreamingFixture { table, publication, slot in
            // A short wal_sender_timeout for this role only; the status interval is well below it.
            let role = "cdc"
            try await TestDatabase.execute("ALTER ROLE \(role) SET wal_sender_timeout = '2s'")
            defer { Task { try? await TestDatabase.execute("ALTER ROLE \(role) RESET wal_sender_timeout") } }
            try await TestDatabase.execute("GRANT SELECT ON \(table) TO \(role)")
            var configuration = ReplicationConnection.Configuration()
            configuration.statusInterval = .milliseconds(500)
            try await ReplicationConnection.withConnection(
                to: TestDatabase.settings(user: role),
                configuration: configuration,
                logger: TestDatabase.logger
            ) { connection in
                let timeout = try await connection.simpleQuery("SHOW wal_sender_timeout").first?.rows.first?.first
                #expect(timeout == "2s")
                let stream = try await connection.startReplication(
                    slot: slot,
                    options: Self.pgoutputOptions(publication)
                )
                // The consumer does not read for three times the timeout.
                try await Task.sleep(for: .seconds(6))
                try await TestDatabase.execute("INSERT INTO \(table) VALUES (1, 'after the nap')")
                let transaction = try await Self.readOneTransaction(stream)
                #expect(transaction.tags.last == "C")
                try await stream.stop()
            }
        }
    }

    @Test func startReplicationOnAMissingSlotFails() async throws {
        try TestDatabase.requireConfigured()
        let slot = TestDatabase.uniqueName("missing")
        try await TestDatabase.withReplicationConnection { connection in
            let error = await #expect(throws: PostgresWireError.self) {
                _ = try await connection.startReplication(slot: slot, options: Self.pgoutputOptions("nopub"))
            }
            #expect(error?.serverFields?.sqlState == "42704")
            #expect(error?.slot == slot)
        }
    }

    // MARK: multi-host

    @Test func readWritePicksThePrimaryEvenWhenTheStandbyIsListedFirst() async throws {
        try TestDatabase.requireConfigured()
        guard let standbyPort = TestDatabase.standbyPort else { return }  // the PG18 run has no standby
        var settings = TestDatabase.settings()
        settings.endpoints = [
            ConnectionSettings.Endpoint(host: TestDatabase.host, port: standbyPort),
            ConnectionSettings.Endpoint(host: TestDatabase.host, port: TestDatabase.port),
        ]
        settings.targetSessionAttributes = .readWrite
        let picked = try await TestDatabase.withReplicationConnection(settings: settings) { connection in
            (connection.endpoint.port, connection.isHotStandby)
        }
        #expect(picked.0 == TestDatabase.port)
        #expect(picked.1 == false)

        settings.targetSessionAttributes = .standby
        let standby = try await TestDatabase.withReplicationConnection(settings: settings) { $0.endpoint.port }
        #expect(standby == standbyPort)

        // Only the standby listed, read-write wanted: the error names the host and why it was refused.
        settings.endpoints = [ConnectionSettings.Endpoint(host: TestDatabase.host, port: standbyPort)]
        settings.targetSessionAttributes = .readWrite
        let error = await #expect(throws: PostgresWireError.self) {
            try await TestDatabase.withReplicationConnection(settings: settings) { _ in }
        }
        #expect(error?.code == .noSuitableHost)
        #expect(error?.description.contains("standby") == true)
    }

    @Test func unreachableHostsAreSkippedAndListed() async throws {
        try TestDatabase.requireConfigured()
        var settings = TestDatabase.settings()
        settings.endpoints = [
            ConnectionSettings.Endpoint(host: TestDatabase.host, port: 1),
            ConnectionSettings.Endpoint(host: TestDatabase.host, port: TestDatabase.port),
        ]
        #expect(
            try await TestDatabase.withReplicationConnection(settings: settings) { $0.endpoint.port }
                == TestDatabase.port
        )
        settings.endpoints = [
            ConnectionSettings.Endpoint(host: TestDatabase.host, port: 1),
            ConnectionSettings.Endpoint(host: TestDatabase.host, port: 2),
        ]
        let error = await #expect(throws: PostgresWireError.self) {
            try await TestDatabase.withReplicationConnection(settings: settings) { _ in }
        }
        #expect(error?.code == .noSuitableHost)
        #expect(error?.reason.contains(":1") == true)
        #expect(error?.reason.contains(":2") == true)
    }
}
