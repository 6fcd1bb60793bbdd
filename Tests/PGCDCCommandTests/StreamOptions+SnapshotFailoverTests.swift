import ArgumentParser
import PostgresCDC
import PostgresWire
import Testing

@testable import PGCDCCommand

/// The stream options of the snapshot and failover features, resolved into the pipeline configuration.
@Suite("pgcdc stream: --snapshot, --snapshot-workers, --checkpoint, --on-missing-slot")
struct StreamSnapshotFailoverOptionsTests {
    private func configuration(_ arguments: [String], env: [String: String] = [:]) throws -> CDCConfiguration {
        let command = try #require(try PGCDC.parseAsRoot(["stream"] + arguments) as? StreamCommand)
        let resolved = try command.options.resolve(
            connection: command.connection,
            environment: Environment(variables: env)
        )
        return resolved.configuration(connection: ConnectionSettings(endpoints: [], user: "u"))
    }

    @Test(
        "each --snapshot mode reaches the pipeline",
        arguments: [("initial", SnapshotMode.initial), ("never", .never), ("initial-only", .initialOnly)]
    )
    func snapshotModes(argument: String, mode: SnapshotMode) throws {
        #expect(try self.configuration(["--snapshot", argument]).snapshot == mode)
        #expect(try self.configuration([], env: ["PGCDC_SNAPSHOT": argument]).snapshot == mode)
    }

    @Test("without options: initial snapshot, no checkpoint store, fail on a missing slot")
    func defaults() throws {
        let configuration = try self.configuration([])
        #expect(configuration.snapshot == .initial)
        #expect(configuration.checkpointStore == nil)
        #expect(configuration.onMissingSlot == .fail)
        #expect((1...4).contains(configuration.snapshotWorkers))
    }

    @Test("--snapshot-workers sets the workers; out of range is refused")
    func workers() throws {
        #expect(try self.configuration(["--snapshot-workers", "7"]).snapshotWorkers == 7)
        #expect(try self.configuration([], env: ["PGCDC_SNAPSHOT_WORKERS": "2"]).snapshotWorkers == 2)
        #expect(throws: (any Error).self) { try self.configuration(["--snapshot-workers", "0"]) }
        #expect(throws: (any Error).self) { try self.configuration(["--snapshot-workers", "65"]) }
    }

    @Test("--checkpoint FILE (or PGCDC_CHECKPOINT) makes a file checkpoint store at that path")
    func checkpoint() throws {
        let fromOption = try self.configuration(["--checkpoint", "/var/lib/pgcdc/cp.json"])
        #expect((fromOption.checkpointStore as? FileCheckpointStore)?.path == "/var/lib/pgcdc/cp.json")
        let fromEnvironment = try self.configuration([], env: ["PGCDC_CHECKPOINT": "/tmp/env-cp"])
        #expect((fromEnvironment.checkpointStore as? FileCheckpointStore)?.path == "/tmp/env-cp")
        let both = try self.configuration(["--checkpoint", "/tmp/option"], env: ["PGCDC_CHECKPOINT": "/tmp/env"])
        #expect((both.checkpointStore as? FileCheckpointStore)?.path == "/tmp/option")
        let empty = #expect(throws: (any Error).self) { try self.configuration(["--checkpoint", ""]) }
        #expect(empty.map { PGCDC.message(for: $0) } == "--checkpoint needs a file path.")
    }

    @Test("--on-missing-slot fail|resnapshot (or PGCDC_ON_MISSING_SLOT); anything else is refused")
    func onMissingSlot() throws {
        #expect(try self.configuration(["--on-missing-slot", "resnapshot"]).onMissingSlot == .resnapshot)
        #expect(try self.configuration(["--on-missing-slot", "fail"]).onMissingSlot == .fail)
        #expect(try self.configuration([], env: ["PGCDC_ON_MISSING_SLOT": "resnapshot"]).onMissingSlot == .resnapshot)
        #expect(throws: (any Error).self) { try PGCDC.parseAsRoot(["stream", "--on-missing-slot", "retry"]) }
        #expect(throws: ValidationError.self) {
            try self.configuration([], env: ["PGCDC_ON_MISSING_SLOT": "retry"])
        }
    }
}
