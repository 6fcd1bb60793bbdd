import Foundation
import PostgresCDC
import PostgresWire
import Testing

@Suite struct CheckpointStoreTests {
    /// A fresh directory under the temporary directory, removed after `body`.
    func withTemporaryDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pgcdc-checkpoint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory)
    }

    static let checkpoint = Checkpoint(
        slot: "orders_slot",
        systemID: "7301234567890123456",
        timeline: 2,
        lsn: LSN(0x1_6B37_48A0),
        xid: 4_294_967_295,
        commitTime: Date(timeIntervalSince1970: 1_700_000_000.123456),
        updatedAt: Date(timeIntervalSince1970: 1_700_000_001.5)
    )

    @Test func loadWithoutAFileIsNil() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileCheckpointStore(path: directory + "/checkpoint.json")
            let loaded = try await store.load()
            #expect(loaded == nil)
        }
    }

    @Test func saveThenLoadGivesTheSameCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileCheckpointStore(path: directory + "/checkpoint.json")
            try await store.save(Self.checkpoint)
            let loaded = try await store.load()
            #expect(loaded == Self.checkpoint)
            // A second store on the same file (a restarted process) reads it too.
            let reloaded = try await FileCheckpointStore(path: directory + "/checkpoint.json").load()
            #expect(reloaded == Self.checkpoint)
        }
    }

    @Test func aCheckpointWithoutTransactionRoundTrips() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileCheckpointStore(path: directory + "/cp.json")
            let bare = Checkpoint(slot: "s", systemID: "1", timeline: 1, lsn: .zero)
            try await store.save(bare)
            let loaded = try await store.load()
            #expect(loaded == bare)
            #expect(loaded?.xid == nil)
            #expect(loaded?.commitTime == nil)
        }
    }

    @Test func saveReplacesAndLeavesNoTemporaryFiles() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileCheckpointStore(path: directory + "/checkpoint.json")
            try await store.save(Self.checkpoint)
            var next = Self.checkpoint
            next.lsn = LSN(0x2_0000_0000)
            next.xid = 7
            try await store.save(next)
            let loaded = try await store.load()
            #expect(loaded == next)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files == ["checkpoint.json"])
        }
    }

    @Test func concurrentSavesLeaveOneWholeCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let store = FileCheckpointStore(path: directory + "/checkpoint.json")
            let saved = (1...20).map { index in
                var checkpoint = Self.checkpoint
                checkpoint.lsn = LSN(UInt64(index) << 20)
                return checkpoint
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for checkpoint in saved { group.addTask { try await store.save(checkpoint) } }
                try await group.waitForAll()
            }
            let loaded = try #require(try await store.load())
            #expect(saved.contains(loaded))
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files == ["checkpoint.json"])
        }
    }

    @Test func aCorruptFileIsACheckpointError() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/checkpoint.json"
            try Data(#"{"slot": "s", "lsn": "#.utf8).write(to: URL(fileURLWithPath: path))
            let error = await #expect(throws: CDCError.self) { try await FileCheckpointStore(path: path).load() }
            #expect(error?.code == .checkpoint)
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func aMissingDirectoryIsACheckpointErrorAndKeepsNothing() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/missing/checkpoint.json"
            let error = await #expect(throws: CDCError.self) {
                try await FileCheckpointStore(path: path).save(Self.checkpoint)
            }
            #expect(error?.code == .checkpoint)
            #expect(error?.slot == "orders_slot")
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files.isEmpty)
        }
    }

    @Test func verifyAcceptsTheSameSystemAndRefusesAnother() throws {
        try Self.checkpoint.verify(systemID: "7301234567890123456")
        let error = #expect(throws: CDCError.self) { try Self.checkpoint.verify(systemID: "7309999999999999999") }
        #expect(error?.code == .wrongDatabase)
        #expect(error?.slot == "orders_slot")
        #expect(error?.description.contains("7309999999999999999") == true)
        #expect(error?.description.contains("7301234567890123456") == true)
    }
}
