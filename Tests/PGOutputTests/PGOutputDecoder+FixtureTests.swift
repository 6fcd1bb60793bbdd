import NIOCore
import PGOutput
import Testing

/// Properties every recorded scenario must have, whatever its workload.
@Suite struct PGOutputDecoderFixtureTests {
    @Test(arguments: Fixture.names)
    func decodesEveryMessageConsistently(name: String) throws {
        let fixture = try Fixture.load(name)
        #expect(!fixture.messages.isEmpty)
        var decoder = PGOutputDecoder(protocolVersion: fixture.protocolVersion)
        var openBegin: PGOutputMessage.Begin?
        var relations: [UInt32: PGOutputMessage.Relation] = [:]
        for recorded in fixture.messages {
            let message = try decoder.decode(recorded.bytes, walStart: recorded.lsn)
            // Inside a stream block every row, relation, type and message carries the xid of the (sub)transaction
            // that made it (the block's xid or one of its subtransactions'); outside a block, none.
            if let xid = message.streamXID {
                #expect((xid != nil) == (decoder.streamingXID != nil), "\(message.tag) in \(name)")
                if let xid, let block = decoder.streamingXID { #expect(xid >= block) }
            }
            switch message {
            case .begin(let begin):
                #expect(openBegin == nil)
                #expect(begin.xid == recorded.xid)
                openBegin = begin
            case .commit(let commit):
                let begin = try #require(openBegin)
                #expect(commit.commitLSN == begin.finalLSN)
                #expect(commit.commitTimestamp == begin.commitTimestamp)
                #expect(commit.endLSN > commit.commitLSN)
                #expect(commit.flags == 0)
                openBegin = nil
            case .relation(let relation):
                relations[relation.relationID] = relation
            case .insert(let insert):
                #expect(insert.newTuple.count == relations[insert.relationID]?.columns.count)
            case .update(let update):
                #expect(update.newTuple.count == relations[update.relationID]?.columns.count)
            case .delete(let delete):
                #expect(delete.oldTuple.count == relations[delete.relationID]?.columns.count)
            case .streamStart(let start):
                #expect(start.xid == recorded.xid)
                #expect(decoder.streamingXID == start.xid)
            case .streamStop:
                #expect(decoder.streamingXID == nil)
            default:
                break
            }
        }
        #expect(openBegin == nil, "every Begin has its Commit")
        #expect(decoder.streamingXID == nil, "every Stream Start has its Stream Stop")
    }

    @Test(arguments: Fixture.names)
    func everyTruncationThrowsTruncated(name: String) throws {
        let fixture = try Fixture.load(name)
        var decoder = PGOutputDecoder(protocolVersion: fixture.protocolVersion)
        var checked = 0
        var failures: [String] = []
        for recorded in fixture.messages {
            for length in 0..<recorded.bytes.readableBytes {
                var probe = decoder
                let prefix = recorded.bytes.getSlice(at: recorded.bytes.readerIndex, length: length) ?? ByteBuffer()
                checked += 1
                do {
                    let message = try probe.decode(prefix, walStart: recorded.lsn)
                    failures.append("\(recorded.lsn) cut to \(length) bytes decoded as \(message)")
                } catch {
                    // Collected rather than one #expect per prefix: there are hundreds of thousands of them.
                    if error.code != .truncated || error.walStart != recorded.lsn || error.offset > length
                        || probe.streamingXID != decoder.streamingXID
                    {
                        failures.append("\(recorded.lsn) cut to \(length) bytes: \(String(reflecting: error))")
                    }
                }
            }
            _ = try decoder.decode(recorded.bytes, walStart: recorded.lsn)
        }
        #expect(checked == fixture.messages.reduce(0) { $0 + $1.bytes.readableBytes })
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    @Test(arguments: Fixture.names)
    func anExtraByteIsTrailingBytes(name: String) throws {
        let fixture = try Fixture.load(name)
        var decoder = PGOutputDecoder(protocolVersion: fixture.protocolVersion)
        for recorded in fixture.messages {
            var longer = recorded.bytes
            longer.writeInteger(UInt8(0))
            var probe = decoder
            let error = #expect(throws: PGOutputDecodingError.self) {
                try probe.decode(longer, walStart: recorded.lsn)
            }
            #expect(error?.code == .trailingBytes)
            #expect(error?.offset == recorded.bytes.readableBytes)
            _ = try decoder.decode(recorded.bytes, walStart: recorded.lsn)
        }
    }

    @Test func valuesAreSlicesOfTheMessageNotCopies() throws {
        let fixture = try Fixture.load("v1-toast-unchanged")
        var decoder = PGOutputDecoder(protocolVersion: fixture.protocolVersion)
        var bodies: [ByteBuffer] = []
        for recorded in fixture.messages {
            if let insert = try decoder.decode(recorded.bytes, walStart: recorded.lsn).insert,
                case .text(let body) = insert.newTuple[2]
            {
                // A slice shares the message's storage: its bytes sit inside the message's bytes.
                let inside = recorded.bytes.withUnsafeReadableBytes { message in
                    body.withUnsafeReadableBytes { value in
                        guard let start = message.baseAddress, let valueStart = value.baseAddress else { return false }
                        return valueStart >= start && valueStart + value.count <= start + message.count
                    }
                }
                #expect(inside)
                bodies.append(body)
            }
        }
        #expect(bodies.count == 1)
    }
}
