import NIOCore
import PGOutput
import PostgresWire
import Testing

@testable import PostgresCDC

@Suite struct ChangeAssemblerTests {
    typealias Message = PGOutputMessage

    static let relation = Message.Relation(
        relationID: 16_384,
        namespace: "public",
        name: "items",
        replicaIdentity: .default,
        columns: [
            .init(flags: 1, name: "id", typeOID: 23, typeModifier: -1),
            .init(flags: 0, name: "note", typeOID: 25, typeModifier: -1),
        ]
    )

    static func tuple(_ values: TupleValue...) -> TupleData { TupleData(values) }
    static func text(_ s: String) -> TupleValue { .text(ByteBuffer(string: s)) }

    func assembler() throws -> ChangeAssembler {
        var assembler = ChangeAssembler(acknowledger: nil)
        _ = try assembler.process(.relation(Self.relation), walStart: LSN(1))
        return assembler
    }

    func change(_ output: ChangeAssembler.Output) -> ChangeEvent? {
        if case .one(.change(let event)) = output { return event }
        return nil
    }

    @Test func numbersEventsWithinATransactionAndCarriesTheCommitLSN() throws {
        var assembler = try self.assembler()
        let begin = try assembler.process(
            .begin(.init(finalLSN: 0x500, commitTimestamp: 0, xid: 77)),
            walStart: LSN(0x100)
        )
        guard case .one(.begin(let info)) = begin else {
            Issue.record("expected a begin")
            return
        }
        #expect(info.xid == 77)
        #expect(info.commitLSN == LSN(0x500))
        #expect(assembler.isInTransaction)
        let first = self.change(
            try assembler.process(
                .insert(.init(relationID: 16_384, newTuple: Self.tuple(Self.text("1"), Self.text("a")))),
                walStart: LSN(0x200)
            )
        )
        let second = self.change(
            try assembler.process(
                .insert(.init(relationID: 16_384, newTuple: Self.tuple(Self.text("2"), .null))),
                walStart: LSN(0x300)
            )
        )
        #expect(first?.index == 0)
        #expect(second?.index == 1)
        #expect(first?.transaction?.commitLSN == LSN(0x500))
        #expect(try first?.after?.value("id") == .int(1))
        #expect(try second?.after?.value("note") == .null)
        #expect(try first?.key?.typedValues().map(\.name) == ["id"])
        let commit = try assembler.process(
            .commit(.init(flags: 0, commitLSN: 0x500, endLSN: 0x528, commitTimestamp: 0)),
            walStart: LSN(0x500)
        )
        guard case .one(.commit(let committed, let acknowledgement)) = commit else {
            Issue.record("expected a commit")
            return
        }
        #expect(committed.endLSN == LSN(0x528))
        #expect(committed.eventCount == 2)
        #expect(acknowledgement.position == LSN(0x528))
        #expect(!assembler.isInTransaction)
    }

    @Test func keyComesFromTheOldTupleWhenThereIsOne() throws {
        var assembler = try self.assembler()
        _ = try assembler.process(.begin(.init(finalLSN: 9, commitTimestamp: 0, xid: 1)), walStart: LSN(1))
        let update = self.change(
            try assembler.process(
                .update(
                    .init(
                        relationID: 16_384,
                        oldTuple: Self.tuple(Self.text("1"), .null),
                        oldTupleKind: .key,
                        newTuple: Self.tuple(Self.text("2"), Self.text("b"))
                    )
                ),
                walStart: LSN(2)
            )
        )
        #expect(try update?.key?.value("id") == .int(1))
        #expect(try update?.after?.value("id") == .int(2))
        #expect(update?.before == nil)  // only a key, not the old row
    }

    @Test func unchangedToastIsReportedAndFilledUnderFullIdentity() throws {
        var assembler = try self.assembler()
        _ = try assembler.process(.begin(.init(finalLSN: 9, commitTimestamp: 0, xid: 1)), walStart: LSN(1))
        let plain = self.change(
            try assembler.process(
                .update(
                    .init(
                        relationID: 16_384,
                        oldTuple: nil,
                        oldTupleKind: nil,
                        newTuple: Self.tuple(Self.text("1"), .unchangedToast)
                    )
                ),
                walStart: LSN(2)
            )
        )
        #expect(plain?.unchangedToastColumns == ["note"])
        #expect(plain?.after?["note"]?.isNull == false)
        let full = self.change(
            try assembler.process(
                .update(
                    .init(
                        relationID: 16_384,
                        oldTuple: Self.tuple(Self.text("1"), Self.text("long value")),
                        oldTupleKind: .old,
                        newTuple: Self.tuple(Self.text("1"), .unchangedToast)
                    )
                ),
                walStart: LSN(3)
            )
        )
        #expect(full?.unchangedToastColumns == [])
        #expect(try full?.after?.value("note") == .string("long value"))
        #expect(try full?.before?.value("note") == .string("long value"))
    }

    @Test func aNewRelationMessageReplacesTheSchema() throws {
        var assembler = try self.assembler()
        var altered = Self.relation
        altered.columns.append(.init(flags: 0, name: "added", typeOID: 20, typeModifier: -1))
        _ = try assembler.process(.relation(altered), walStart: LSN(5))
        _ = try assembler.process(.begin(.init(finalLSN: 9, commitTimestamp: 0, xid: 1)), walStart: LSN(6))
        let insert = self.change(
            try assembler.process(
                .insert(.init(relationID: 16_384, newTuple: Self.tuple(Self.text("1"), .null, Self.text("9")))),
                walStart: LSN(7)
            )
        )
        #expect(insert?.table?.columns.map(\.name) == ["id", "note", "added"])
        #expect(try insert?.after?.value("added") == .int(9))
    }

    @Test func rowsForUnknownRelationsAndChangesOutsideTransactionsAreErrors() throws {
        var assembler = ChangeAssembler(acknowledger: nil)
        #expect(throws: CDCError.self) {
            try assembler.process(.insert(.init(relationID: 1, newTuple: Self.tuple())), walStart: LSN(1))
        }
        var withRelation = try self.assembler()
        #expect(throws: CDCError.self) {
            try withRelation.process(
                .insert(.init(relationID: 16_384, newTuple: Self.tuple(Self.text("1"), .null))),
                walStart: LSN(1)
            )
        }
        #expect(throws: CDCError.self) {
            try withRelation.process(
                .commit(.init(flags: 0, commitLSN: 1, endLSN: 2, commitTimestamp: 0)),
                walStart: LSN(1)
            )
        }
    }

    @Test func streamedTransactionsAreNumberedPerXIDAndAborted() throws {
        var assembler = try self.assembler()
        _ = try assembler.process(.streamStart(.init(xid: 10, isFirstSegment: true)), walStart: LSN(1))
        let a = self.change(
            try assembler.process(
                .insert(.init(xid: 10, relationID: 16_384, newTuple: Self.tuple(Self.text("1"), .null))),
                walStart: LSN(2)
            )
        )
        _ = try assembler.process(.streamStop, walStart: LSN(3))
        _ = try assembler.process(.streamStart(.init(xid: 11, isFirstSegment: true)), walStart: LSN(4))
        let b = self.change(
            try assembler.process(
                .insert(.init(xid: 11, relationID: 16_384, newTuple: Self.tuple(Self.text("2"), .null))),
                walStart: LSN(5)
            )
        )
        _ = try assembler.process(.streamStop, walStart: LSN(6))
        _ = try assembler.process(.streamStart(.init(xid: 10, isFirstSegment: false)), walStart: LSN(7))
        let c = self.change(
            try assembler.process(
                .insert(.init(xid: 10, relationID: 16_384, newTuple: Self.tuple(Self.text("3"), .null))),
                walStart: LSN(8)
            )
        )
        _ = try assembler.process(.streamStop, walStart: LSN(9))
        #expect([a?.index, b?.index, c?.index] == [0, 0, 1])
        #expect(a?.transaction?.isStreamed == true)
        #expect(assembler.isInTransaction)
        guard
            case .one(.streamAbort(let xid, _)) = try assembler.process(
                .streamAbort(.init(xid: 11, subxid: 11)),
                walStart: LSN(10)
            )
        else {
            Issue.record("expected an abort")
            return
        }
        #expect(xid == 11)
        guard
            case .one(.commit(let commit, _)) = try assembler.process(
                .streamCommit(.init(xid: 10, flags: 0, commitLSN: 20, endLSN: 28, commitTimestamp: 0)),
                walStart: LSN(20)
            )
        else {
            Issue.record("expected a commit")
            return
        }
        #expect(commit.eventCount == 2)
        #expect(!assembler.isInTransaction)
    }

    @Test func nonTransactionalMessagesStandAlone() throws {
        var assembler = try self.assembler()
        let output = try assembler.process(
            .message(.init(isTransactional: false, lsn: 0x42, prefix: "outbox", content: ByteBuffer(string: "hi"))),
            walStart: LSN(0x42)
        )
        let event = self.change(output)
        #expect(event?.operation == .message)
        #expect(event?.transaction == nil)
        #expect(event?.message?.prefix == "outbox")
        #expect(event?.lsn == LSN(0x42))
    }

    @Test func truncateGivesOneEventPerTable() throws {
        var assembler = try self.assembler()
        var other = Self.relation
        other.relationID = 16_400
        other.name = "other"
        _ = try assembler.process(.relation(other), walStart: LSN(1))
        _ = try assembler.process(.begin(.init(finalLSN: 9, commitTimestamp: 0, xid: 1)), walStart: LSN(1))
        guard
            case .many(let events) = try assembler.process(
                .truncate(.init(options: [.cascade], relationIDs: [16_384, 16_400])),
                walStart: LSN(2)
            )
        else {
            Issue.record("expected events")
            return
        }
        let tables = events.compactMap { event -> String? in
            if case .change(let change) = event { return change.table?.name }
            return nil
        }
        #expect(tables == ["items", "other"])
    }
}
