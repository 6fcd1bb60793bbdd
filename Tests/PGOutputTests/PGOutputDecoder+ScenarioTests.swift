import NIOCore
import PGOutput
import Testing

/// What each recorded workload (see `scripts/record-pgoutput-fixtures.sh`) must decode to.
@Suite struct PGOutputDecoderScenarioTests {
    private func tags(_ messages: [PGOutputMessage]) -> String {
        String(messages.map(\.tag))
    }

    @Test func defaultIdentityRowChanges() throws {
        let messages = try Fixture.load("v1-types-default").decodeAll()
        #expect(tags(messages) == "BRIICBUCBUCBDCBRTCBRRTC")
        let relation = try #require(messages[1].relation)
        #expect(relation.namespace == "public")
        #expect(relation.name == "types_default")
        #expect(relation.replicaIdentity == .default)
        #expect(relation.xid == nil)
        #expect(
            relation.columns.map(\.name) == [
                "id", "small", "big", "num", "real_value", "double_value", "label", "short", "fixed", "flag", "day",
                "moment", "moment_tz", "clock", "span", "uid", "doc", "raw", "numbers", "words", "address",
            ]
        )
        #expect(relation.columns.map(\.isKey) == [true] + Array(repeating: false, count: 20))
        #expect(relation.columns[0].flags == 1)
        // Built-in type OIDs (pg_type.dat) and type modifiers: varchar(20) is 20 + 4, numeric(12, 3) is
        // (12 << 16 | 3) + 4.
        let types = Dictionary(uniqueKeysWithValues: relation.columns.map { ($0.name, $0.typeOID) })
        #expect(types["id"] == 23)
        #expect(types["big"] == 20)
        #expect(types["label"] == 25)
        #expect(types["uid"] == 2950)
        #expect(types["doc"] == 3802)
        #expect(types["raw"] == 17)
        #expect(types["numbers"] == 1007)
        #expect(relation.columns[0].typeModifier == -1)
        #expect(relation.columns[7].typeModifier == 24)
        #expect(relation.columns[3].typeModifier == (12 << 16 | 3) + 4)

        let first = try #require(messages[2].insert)
        #expect(first.relationID == relation.relationID)
        #expect(first.xid == nil)
        let values = first.newTuple.texts
        #expect(values[0] == "1")
        #expect(values[1] == "-32768")
        #expect(values[2] == "9223372036854775807")
        #expect(values[3] == "12345.678")
        #expect(values[6] == "hello, world")
        #expect(values[8] == "abc  ")
        #expect(values[9] == "t")
        #expect(values[10] == "2024-02-29")
        #expect(values[11] == "2024-02-29 12:34:56.789")
        #expect(values[13] == "23:59:59")
        #expect(values[14] == "1 day 02:00:00")
        #expect(values[15] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        #expect(values[16] == #"{"k": [1, 2, 3]}"#)
        #expect(values[17] == #"\xdeadbeef"#)
        #expect(values[18] == "{1,2,3}")
        #expect(values[19] == #"{"a b",c}"#)
        #expect(values[20] == "192.168.0.1/24")
        #expect(first.newTuple.allSatisfy { if case .text = $0 { true } else { false } })

        let second = try #require(messages[3].insert)
        #expect(second.newTuple[0] == .text(ByteBuffer(string: "2")))
        #expect(second.newTuple.dropFirst().allSatisfy { $0 == .null })

        let labelChanged = try #require(messages[6].update)
        #expect(labelChanged.oldTuple == nil, "the key did not change and the identity is not full")
        #expect(labelChanged.oldTupleKind == nil)
        #expect(labelChanged.newTuple.texts[6] == "changed")

        let keyChanged = try #require(messages[9].update)
        #expect(keyChanged.oldTupleKind == .key)
        let oldKey = try #require(keyChanged.oldTuple)
        #expect(oldKey.texts[0] == "2")
        #expect(oldKey.dropFirst().allSatisfy { $0 == .null })
        #expect(keyChanged.newTuple.texts[0] == "3")

        let delete = try #require(messages[12].delete)
        #expect(delete.oldTupleKind == .key)
        #expect(delete.oldTuple.texts[0] == "1")
        #expect(delete.oldTuple.dropFirst().allSatisfy { $0 == .null })

        let plain = try #require(messages[16].truncate)
        #expect(plain.relationIDs == [relation.relationID])
        #expect(plain.options.isEmpty)

        let cascade = try #require(messages[21].truncate)
        #expect(cascade.options == [.cascade, .restartIdentity])
        let truncated = [messages[19], messages[20]].compactMap(\.relation)
        #expect(Set(truncated.map(\.name)) == ["identity_full", "identity_index"])
        #expect(Set(cascade.relationIDs) == Set(truncated.map(\.relationID)))
    }

    @Test func binaryModeSendsBinaryValues() throws {
        let messages = try Fixture.load("v1-binary").decodeAll()
        #expect(tags(messages) == "BRIICBUCBDC")
        let insert = try #require(messages[2].insert)
        guard case .binary(var id) = insert.newTuple[0], case .binary(var big) = insert.newTuple[2],
            case .binary(let flag) = insert.newTuple[9], case .binary(let raw) = insert.newTuple[17],
            case .binary(let label) = insert.newTuple[6]
        else {
            Issue.record("expected binary values, got \(insert.newTuple.map { $0 })")
            return
        }
        #expect(id.readInteger(as: Int32.self) == 1)
        #expect(big.readInteger(as: Int64.self) == .max)
        #expect(Array(buffer: flag) == [1])
        #expect(Array(buffer: raw) == [0xDE, 0xAD, 0xBE, 0xEF])
        #expect(String(buffer: label) == "hello, world")
        #expect(insert.newTuple[1] == .binary(ByteBuffer(bytes: [0x80, 0x00])))

        let update = try #require(messages[6].update)
        var newBig = try #require(update.newTuple[2].bytes)
        #expect(newBig.readInteger(as: Int64.self) == 42)
        let delete = try #require(messages[9].delete)
        var deletedID = try #require(delete.oldTuple[0].bytes)
        #expect(deletedID.readInteger(as: Int32.self) == 1)
    }

    @Test func replicaIdentityFullSendsWholeOldRows() throws {
        let messages = try Fixture.load("v1-identity-full").decodeAll()
        #expect(tags(messages) == "BRIICBUCBDC")
        let relation = try #require(messages[1].relation)
        #expect(relation.replicaIdentity == .full)
        #expect(relation.columns.allSatisfy { $0.isKey })
        let update = try #require(messages[6].update)
        #expect(update.oldTupleKind == .old)
        #expect(update.oldTuple?.texts == ["1", "one", "10"])
        #expect(update.newTuple.texts == ["1", "one", "11"])
        let delete = try #require(messages[9].delete)
        #expect(delete.oldTupleKind == .old)
        #expect(delete.oldTuple.texts == ["2", nil, "20"])
    }

    @Test func replicaIdentityUsingIndexSendsTheIndexColumns() throws {
        let messages = try Fixture.load("v1-identity-index").decodeAll()
        #expect(tags(messages) == "BRICBUCBUCBDC")
        let relation = try #require(messages[1].relation)
        #expect(relation.replicaIdentity == .index)
        #expect(relation.columns.map(\.isKey) == [false, true, false])
        #expect(try #require(messages[5].update).oldTuple == nil)
        let keyChange = try #require(messages[8].update)
        #expect(keyChange.oldTupleKind == .key)
        #expect(keyChange.oldTuple?.texts == [nil, "A-1", nil])
        #expect(keyChange.newTuple.texts == ["1", "B-2", "second"])
        let delete = try #require(messages[11].delete)
        #expect(delete.oldTuple.texts == [nil, "B-2", nil])
    }

    @Test func unchangedToastColumnIsNotSent() throws {
        let messages = try Fixture.load("v1-toast-unchanged").decodeAll()
        #expect(tags(messages) == "BRICBUCBDC")
        let insert = try #require(messages[2].insert)
        let body = try #require(insert.newTuple.texts[2])
        #expect(body.utf8.count == 200 * 32, "200 md5 hex digests")
        let update = try #require(messages[5].update)
        #expect(update.newTuple[2] == .unchangedToast)
        #expect(update.newTuple.texts[..<2] == ["1", "1"])
        #expect(try #require(messages[8].delete).oldTuple.texts == ["1", nil, nil])
    }

    @Test func logicalMessages() throws {
        let fixture = try Fixture.load("v1-messages")
        let messages = try fixture.decodeAll()
        #expect(tags(messages) == "BRIMCMM")
        let inside = try #require(messages[3].logicalMessage)
        #expect(inside.isTransactional)
        #expect(inside.prefix == "cdc.tx")
        #expect(String(buffer: inside.content) == "inside a transaction")
        #expect(inside.xid == nil)
        #expect(inside.lsn == fixture.messages[3].lsn)
        let now = try #require(messages[5].logicalMessage)
        #expect(!now.isTransactional)
        #expect(now.prefix == "cdc.now")
        #expect(Array(buffer: now.content) == [0x00, 0xFF, 0x10])
        #expect(now.lsn == fixture.messages[5].lsn)
        let rolledBack = try #require(messages[6].logicalMessage)
        #expect(!rolledBack.isTransactional)
        #expect(rolledBack.prefix == "cdc.rolledback")
        #expect(String(buffer: rolledBack.content) == "survives rollback")
    }

    @Test func schemaChangesResendTheRelation() throws {
        let messages = try Fixture.load("v1-alter-table").decodeAll()
        #expect(tags(messages) == "BRICBIRICBRIC")
        #expect(messages[1].relation?.columns.map(\.name) == ["id", "a"])
        #expect(messages[2].insert?.newTuple.texts == ["1", "before"])
        #expect(messages[5].insert?.newTuple.texts == ["2", "same transaction, before"])
        #expect(messages[6].relation?.columns.map(\.name) == ["id", "a", "b"])
        #expect(messages[7].insert?.newTuple.texts == ["3", "same transaction, after", "3"])
        #expect(messages[10].relation?.columns.map(\.name) == ["id", "b"])
        #expect(messages[11].insert?.newTuple.texts == ["4", "4"])
    }

    @Test func typeMessagesPrecedeTheRelationThatUsesThem() throws {
        let messages = try Fixture.load("v1-type-message").decodeAll()
        #expect(tags(messages) == "BYYRIC")
        let types = messages.compactMap(\.typeInfo)
        let relation = try #require(messages[3].relation)
        let feeling = try #require(relation.columns.first { $0.name == "feeling" })
        let amount = try #require(relation.columns.first { $0.name == "amount" })
        let mood = try #require(types.first { $0.typeOID == feeling.typeOID })
        #expect(mood.namespace == "public")
        #expect(mood.name == "mood")
        // A domain is described by its base type; pg_catalog is sent as an empty namespace.
        let domain = try #require(types.first { $0.typeOID == amount.typeOID })
        #expect(domain.namespace == "")
        #expect(domain.name == "int4")
        #expect(messages[4].insert?.newTuple.texts == ["1", "happy", "7"])
    }

    @Test func originMessage() throws {
        let messages = try Fixture.load("v1-origin").decodeAll()
        #expect(tags(messages) == "BORIC")
        let origin = try #require(messages[1].origin)
        #expect(origin.name == "upstream")
        #expect(origin.commitLSN == 0xAB_CDEF)
    }

    @Test func streamedCommit() throws {
        let fixture = try Fixture.load("v2-stream-commit")
        let messages = try fixture.decodeAll()
        let starts = messages.compactMap(\.streamStart)
        #expect(starts.count > 1, "64kB of work memory splits 5000 rows into several blocks")
        let xid = try #require(starts.first?.xid)
        #expect(starts.map(\.isFirstSegment) == [true] + Array(repeating: false, count: starts.count - 1))
        #expect(starts.allSatisfy { $0.xid == xid })
        #expect(messages.filter { $0.tag == "E" }.count == starts.count)
        #expect(!messages.contains { $0.tag == "B" || $0.tag == "C" })
        let inserts = messages.compactMap(\.insert)
        #expect(inserts.count == 5000)
        #expect(inserts.allSatisfy { $0.xid == xid })
        #expect(inserts.map { $0.newTuple.texts[1] } == (1...5000).map { "row \($0)" })
        let message = try #require(messages.compactMap(\.logicalMessage).first)
        #expect(message.xid == xid)
        #expect(message.prefix == "cdc.stream")
        #expect(messages.compactMap(\.truncate).first?.xid == xid)
        #expect(messages.compactMap(\.relation).allSatisfy { $0.xid == xid })
        let commit = try #require(messages.last?.streamCommit)
        #expect(commit.xid == xid)
        #expect(commit.endLSN > commit.commitLSN)
    }

    @Test func streamedAborts() throws {
        let messages = try Fixture.load("v2-stream-abort").decodeAll()
        let aborts = messages.compactMap(\.streamAbort)
        let commits = messages.compactMap(\.streamCommit)
        #expect(commits.count == 1)
        let committed = try #require(commits.first)
        let subtransaction = try #require(aborts.first { !$0.abortsTopLevelTransaction })
        #expect(subtransaction.xid == committed.xid, "the savepoint belongs to the committed transaction")
        let whole = try #require(aborts.first { $0.abortsTopLevelTransaction })
        #expect(whole.xid != committed.xid)
        #expect(aborts.allSatisfy { $0.abortLSN == nil && $0.abortTimestamp == nil }, "v2 sends no abort info")
        // Rows inside a block carry the xid of the (sub)transaction that made them, so group them by block.
        var committedRows: [String] = []
        var block: UInt32?
        for message in messages {
            if let start = message.streamStart { block = start.xid }
            if block == committed.xid, let insert = message.insert {
                committedRows.append(insert.newTuple.texts[1] ?? "")
            }
        }
        #expect(committedRows.filter { $0.hasPrefix("kept ") }.count == 3000)
        // The undone savepoint's rows were streamed, then dropped by the subtransaction's Stream Abort.
        let undone = messages.compactMap(\.insert).filter { $0.newTuple.texts[1]?.hasPrefix("undone ") == true }
        #expect(!undone.isEmpty)
        #expect(undone.allSatisfy { $0.xid == subtransaction.subxid })
    }

    @Test func twoPhaseCommitAndRollback() throws {
        let messages = try Fixture.load("v3-two-phase").decodeAll()
        #expect(tags(messages) == "bRIPKbIPr")
        let begin = try #require(messages[0].beginPrepare)
        let prepare = try #require(messages[3].prepare)
        let commit = try #require(messages[4].commitPrepared)
        #expect(begin.gid == "gid-commit")
        #expect([prepare.gid, commit.gid] == ["gid-commit", "gid-commit"])
        #expect([prepare.xid, commit.xid] == [begin.xid, begin.xid])
        #expect(prepare.prepareLSN == begin.prepareLSN)
        #expect(prepare.endLSN == begin.endLSN)
        #expect(prepare.prepareTimestamp == begin.prepareTimestamp)
        #expect(commit.commitLSN >= prepare.endLSN)

        let beginRollback = try #require(messages[5].beginPrepare)
        let prepareRollback = try #require(messages[7].prepare)
        let rollback = try #require(messages[8].rollbackPrepared)
        #expect(beginRollback.gid == "gid-rollback")
        #expect(rollback.gid == "gid-rollback")
        #expect(rollback.xid == beginRollback.xid)
        #expect(rollback.prepareEndLSN == prepareRollback.endLSN)
        #expect(rollback.prepareTimestamp == prepareRollback.prepareTimestamp)
        #expect(rollback.rollbackEndLSN > rollback.prepareEndLSN)
        #expect(rollback.rollbackTimestamp >= rollback.prepareTimestamp)
    }

    @Test func streamedPrepare() throws {
        let messages = try Fixture.load("v3-stream-prepare").decodeAll()
        let xid = try #require(messages.first?.streamStart?.xid)
        let prepare = try #require(messages.dropLast().last?.streamPrepare)
        #expect(prepare.xid == xid)
        #expect(prepare.gid == "gid-streamed")
        let commit = try #require(messages.last?.commitPrepared)
        #expect(commit.gid == "gid-streamed")
        #expect(commit.xid == xid)
        #expect(messages.compactMap(\.insert).count == 5000)
    }
}
