public import NIOCore

/// Decodes `pgoutput` logical replication messages, one XLogData payload at a time.
///
/// The decoder is a value with a little state: it follows Stream Start/Stream Stop (inside a stream block, row,
/// relation, type and message messages carry the xid of the (sub)transaction after the tag) and remembers the column
/// count of every relation it has seen, so that a row of an unknown relation or with a wrong column count is an error
/// rather than misread data. A message that fails to decode leaves that state unchanged.
///
/// Column values are slices of the message (``TupleValue``); nothing is copied per column.
public struct PGOutputDecoder: Sendable {
    /// The protocol version requested with `proto_version`.
    public let protocolVersion: PGOutputProtocolVersion
    /// Whether Stream Abort messages carry the abort LSN and time. PostgreSQL sends them with protocol version 4
    /// and `streaming 'parallel'` only. `nil` accepts both forms in version 4 (the message length tells them apart).
    public let streamAbortCarriesAbortInfo: Bool?
    /// The xid of the streamed transaction whose block is open (between Stream Start and Stream Stop), if any.
    public private(set) var streamingXID: UInt32?
    private var columnCounts: [UInt32: Int] = [:]

    /// Creates a decoder.
    /// - Parameter protocolVersion: the `proto_version` requested from `pgoutput`.
    public init(protocolVersion: PGOutputProtocolVersion) {
        self.init(protocolVersion: protocolVersion, streamAbortCarriesAbortInfo: nil)
    }

    /// Creates a decoder that knows whether Stream Abort carries the abort LSN and time.
    /// - Parameters:
    ///   - protocolVersion: the `proto_version` requested from `pgoutput`.
    ///   - streamAbortCarriesAbortInfo: `true` with protocol version 4 and `streaming 'parallel'`, `false` otherwise,
    ///     `nil` to accept both forms in version 4.
    public init(protocolVersion: PGOutputProtocolVersion, streamAbortCarriesAbortInfo: Bool?) {
        self.protocolVersion = protocolVersion
        self.streamAbortCarriesAbortInfo = streamAbortCarriesAbortInfo
    }

    /// The number of columns of a relation, from its last Relation message.
    /// - Parameter relationID: the relation's OID.
    /// - Returns: the column count, or `nil` if no Relation message for it was decoded.
    public func columnCount(ofRelation relationID: UInt32) -> Int? {
        self.columnCounts[relationID]
    }

    /// Decodes one pgoutput message (the payload of one XLogData).
    ///
    /// - Parameters:
    ///   - message: the whole message, starting with its tag byte; it must be consumed entirely.
    ///   - walStart: the XLogData's start LSN, used only for error context.
    /// - Returns: the decoded message; tuple values are slices of `message`.
    /// - Throws: ``PGOutputDecodingError`` when the message is truncated, has trailing bytes, an unknown tag or tuple
    ///   kind, names an unknown relation, has a wrong column count, or comes at a wrong place in a stream block.
    public mutating func decode(
        _ message: ByteBuffer,
        walStart: UInt64
    ) throws(PGOutputDecodingError) -> PGOutputMessage {
        var reader = PGOutputMessageReader(message, walStart: walStart)
        let tag: UInt8 = try reader.readInteger("message tag")
        reader.tag = tag
        let decoded: PGOutputMessage
        switch tag {
        case Tag.begin:
            try self.requireOutsideStream(reader)
            decoded = .begin(
                PGOutputMessage.Begin(
                    finalLSN: try reader.readInteger("final LSN"),
                    commitTimestamp: try reader.readInteger("commit timestamp"),
                    xid: try reader.readInteger("xid")
                )
            )
        case Tag.commit:
            try self.requireOutsideStream(reader)
            decoded = .commit(
                PGOutputMessage.Commit(
                    flags: try reader.readInteger("flags"),
                    commitLSN: try reader.readInteger("commit LSN"),
                    endLSN: try reader.readInteger("end LSN"),
                    commitTimestamp: try reader.readInteger("commit timestamp")
                )
            )
        case Tag.origin:
            decoded = .origin(
                PGOutputMessage.Origin(
                    commitLSN: try reader.readInteger("origin commit LSN"),
                    name: try reader.readString("origin name")
                )
            )
        case Tag.relation:
            decoded = .relation(try self.decodeRelation(&reader))
        case Tag.type:
            decoded = .type(
                PGOutputMessage.TypeInfo(
                    xid: try self.readStreamXID(&reader),
                    typeOID: try reader.readInteger("type OID"),
                    namespace: try reader.readString("type namespace"),
                    name: try reader.readString("type name")
                )
            )
        case Tag.insert:
            decoded = .insert(try self.decodeInsert(&reader))
        case Tag.update:
            decoded = .update(try self.decodeUpdate(&reader))
        case Tag.delete:
            decoded = .delete(try self.decodeDelete(&reader))
        case Tag.truncate:
            decoded = .truncate(try self.decodeTruncate(&reader))
        case Tag.message:
            let xid = try self.readStreamXID(&reader)
            let flags: UInt8 = try reader.readInteger("message flags")
            decoded = .message(
                PGOutputMessage.LogicalMessage(
                    xid: xid,
                    isTransactional: flags & 1 != 0,
                    lsn: try reader.readInteger("message LSN"),
                    prefix: try reader.readString("message prefix"),
                    content: try reader.readLengthPrefixedSlice("message content")
                )
            )
        case Tag.streamStart:
            try self.requireVersion(.v2, reader)
            try self.requireOutsideStream(reader)
            let xid: UInt32 = try reader.readInteger("xid")
            let first: UInt8 = try reader.readInteger("first segment flag")
            decoded = .streamStart(PGOutputMessage.StreamStart(xid: xid, isFirstSegment: first == 1))
        case Tag.streamStop:
            try self.requireVersion(.v2, reader)
            guard self.streamingXID != nil else {
                throw reader.error(.unexpectedStreamState, "Stream Stop without an open Stream Start", at: 0)
            }
            decoded = .streamStop
        case Tag.streamCommit:
            try self.requireVersion(.v2, reader)
            try self.requireOutsideStream(reader)
            decoded = .streamCommit(
                PGOutputMessage.StreamCommit(
                    xid: try reader.readInteger("xid"),
                    flags: try reader.readInteger("flags"),
                    commitLSN: try reader.readInteger("commit LSN"),
                    endLSN: try reader.readInteger("end LSN"),
                    commitTimestamp: try reader.readInteger("commit timestamp")
                )
            )
        case Tag.streamAbort:
            try self.requireVersion(.v2, reader)
            try self.requireOutsideStream(reader)
            decoded = .streamAbort(try self.decodeStreamAbort(&reader))
        case Tag.beginPrepare:
            try self.requireVersion(.v3, reader)
            try self.requireOutsideStream(reader)
            decoded = .beginPrepare(
                PGOutputMessage.BeginPrepare(
                    prepareLSN: try reader.readInteger("prepare LSN"),
                    endLSN: try reader.readInteger("end LSN"),
                    prepareTimestamp: try reader.readInteger("prepare timestamp"),
                    xid: try reader.readInteger("xid"),
                    gid: try reader.readString("gid")
                )
            )
        case Tag.prepare, Tag.streamPrepare:
            try self.requireVersion(.v3, reader)
            try self.requireOutsideStream(reader)
            let prepare = PGOutputMessage.Prepare(
                flags: try reader.readInteger("flags"),
                prepareLSN: try reader.readInteger("prepare LSN"),
                endLSN: try reader.readInteger("end LSN"),
                prepareTimestamp: try reader.readInteger("prepare timestamp"),
                xid: try reader.readInteger("xid"),
                gid: try reader.readString("gid")
            )
            decoded = tag == Tag.prepare ? .prepare(prepare) : .streamPrepare(prepare)
        case Tag.commitPrepared:
            try self.requireVersion(.v3, reader)
            try self.requireOutsideStream(reader)
            decoded = .commitPrepared(
                PGOutputMessage.CommitPrepared(
                    flags: try reader.readInteger("flags"),
                    commitLSN: try reader.readInteger("commit LSN"),
                    endLSN: try reader.readInteger("end LSN"),
                    commitTimestamp: try reader.readInteger("commit timestamp"),
                    xid: try reader.readInteger("xid"),
                    gid: try reader.readString("gid")
                )
            )
        case Tag.rollbackPrepared:
            try self.requireVersion(.v3, reader)
            try self.requireOutsideStream(reader)
            decoded = .rollbackPrepared(
                PGOutputMessage.RollbackPrepared(
                    flags: try reader.readInteger("flags"),
                    prepareEndLSN: try reader.readInteger("prepare end LSN"),
                    rollbackEndLSN: try reader.readInteger("rollback end LSN"),
                    prepareTimestamp: try reader.readInteger("prepare timestamp"),
                    rollbackTimestamp: try reader.readInteger("rollback timestamp"),
                    xid: try reader.readInteger("xid"),
                    gid: try reader.readString("gid")
                )
            )
        default:
            throw reader.error(.unknownTag, "tag \(tag) is not a pgoutput message", at: 0)
        }
        try reader.requireEnd()
        self.apply(decoded)
        return decoded
    }

    /// Updates the state once a message has decoded completely.
    private mutating func apply(_ message: PGOutputMessage) {
        switch message {
        case .relation(let relation):
            self.columnCounts[relation.relationID] = relation.columns.count
        case .streamStart(let start):
            self.streamingXID = start.xid
        case .streamStop:
            self.streamingXID = nil
        case .begin, .commit, .origin, .type, .insert, .update, .delete, .truncate, .message, .streamCommit,
            .streamAbort, .beginPrepare, .prepare, .commitPrepared, .rollbackPrepared, .streamPrepare:
            break
        }
    }
}

extension PGOutputDecoder {
    /// The message tags (`LogicalRepMsgType`).
    enum Tag {
        static let begin = UInt8(ascii: "B")
        static let commit = UInt8(ascii: "C")
        static let origin = UInt8(ascii: "O")
        static let relation = UInt8(ascii: "R")
        static let type = UInt8(ascii: "Y")
        static let insert = UInt8(ascii: "I")
        static let update = UInt8(ascii: "U")
        static let delete = UInt8(ascii: "D")
        static let truncate = UInt8(ascii: "T")
        static let message = UInt8(ascii: "M")
        static let streamStart = UInt8(ascii: "S")
        static let streamStop = UInt8(ascii: "E")
        static let streamCommit = UInt8(ascii: "c")
        static let streamAbort = UInt8(ascii: "A")
        static let beginPrepare = UInt8(ascii: "b")
        static let prepare = UInt8(ascii: "P")
        static let commitPrepared = UInt8(ascii: "K")
        static let rollbackPrepared = UInt8(ascii: "r")
        static let streamPrepare = UInt8(ascii: "p")
    }

    private func requireVersion(
        _ version: PGOutputProtocolVersion,
        _ reader: PGOutputMessageReader
    ) throws(PGOutputDecodingError) {
        guard self.protocolVersion >= version else {
            throw reader.error(
                .unsupportedByProtocolVersion,
                "this message needs protocol version \(version.rawValue), the decoder was told "
                    + "\(self.protocolVersion.rawValue)",
                at: 0
            )
        }
    }

    private func requireOutsideStream(_ reader: PGOutputMessageReader) throws(PGOutputDecodingError) {
        if let xid = self.streamingXID {
            throw reader.error(
                .unexpectedStreamState,
                "this message cannot come inside the stream block of transaction \(xid)",
                at: 0
            )
        }
    }

    /// Reads the xid that follows the tag inside a stream block; `nil` outside one.
    private func readStreamXID(_ reader: inout PGOutputMessageReader) throws(PGOutputDecodingError) -> UInt32? {
        guard self.streamingXID != nil else { return nil }
        return try reader.readInteger("streamed transaction xid") as UInt32
    }

    private func decodeRelation(
        _ reader: inout PGOutputMessageReader
    ) throws(PGOutputDecodingError) -> PGOutputMessage.Relation {
        let xid = try self.readStreamXID(&reader)
        let relationID: UInt32 = try reader.readInteger("relation OID")
        reader.relationID = relationID
        let namespace = try reader.readString("namespace")
        let name = try reader.readString("relation name")
        let identityOffset = reader.offset
        let identityByte: UInt8 = try reader.readInteger("replica identity")
        guard let identity = PGOutputMessage.Relation.ReplicaIdentity(rawValue: identityByte) else {
            throw reader.error(
                .invalidValue,
                "replica identity \(identityByte) is not d, n, f or i",
                at: identityOffset
            )
        }
        let countOffset = reader.offset
        let count: Int16 = try reader.readInteger("column count")
        guard count >= 0 else {
            throw reader.error(.invalidValue, "column count \(count) is negative", at: countOffset)
        }
        var columns: [PGOutputMessage.Relation.Column] = []
        columns.reserveCapacity(min(Int(count), reader.readableBytes / 10))
        for _ in 0..<count {
            columns.append(
                PGOutputMessage.Relation.Column(
                    flags: try reader.readInteger("column flags"),
                    name: try reader.readString("column name"),
                    typeOID: try reader.readInteger("column type OID"),
                    typeModifier: try reader.readInteger("column type modifier")
                )
            )
        }
        return PGOutputMessage.Relation(
            xid: xid,
            relationID: relationID,
            namespace: namespace,
            name: name,
            replicaIdentity: identity,
            columns: columns
        )
    }

    /// Reads the relation OID of a row message and returns its known column count.
    private func readKnownRelation(
        _ reader: inout PGOutputMessageReader
    ) throws(PGOutputDecodingError) -> (id: UInt32, columns: Int) {
        let offset = reader.offset
        let relationID: UInt32 = try reader.readInteger("relation OID")
        reader.relationID = relationID
        guard let columns = self.columnCounts[relationID] else {
            throw reader.error(.unknownRelation, "no Relation message was seen for relation \(relationID)", at: offset)
        }
        return (relationID, columns)
    }

    private func decodeInsert(
        _ reader: inout PGOutputMessageReader
    ) throws(PGOutputDecodingError) -> PGOutputMessage.Insert {
        let xid = try self.readStreamXID(&reader)
        let relation = try self.readKnownRelation(&reader)
        let markerOffset = reader.offset
        let marker: UInt8 = try reader.readInteger("new tuple marker")
        guard marker == UInt8(ascii: "N") else {
            throw reader.error(.unknownTupleKind, "tuple marker \(marker) is not N", at: markerOffset)
        }
        let tuple = try reader.readTuple(expectedColumns: relation.columns)
        return PGOutputMessage.Insert(xid: xid, relationID: relation.id, newTuple: tuple)
    }

    private func decodeUpdate(
        _ reader: inout PGOutputMessageReader
    ) throws(PGOutputDecodingError) -> PGOutputMessage.Update {
        let xid = try self.readStreamXID(&reader)
        let relation = try self.readKnownRelation(&reader)
        var markerOffset = reader.offset
        var marker: UInt8 = try reader.readInteger("tuple marker")
        var oldTuple: TupleData?
        var oldKind: PGOutputMessage.OldTupleKind?
        if let kind = PGOutputMessage.OldTupleKind(rawValue: marker) {
            oldKind = kind
            oldTuple = try reader.readTuple(expectedColumns: relation.columns)
            markerOffset = reader.offset
            marker = try reader.readInteger("new tuple marker")
        }
        guard marker == UInt8(ascii: "N") else {
            throw reader.error(.unknownTupleKind, "tuple marker \(marker) is not K, O or N", at: markerOffset)
        }
        let newTuple = try reader.readTuple(expectedColumns: relation.columns)
        return PGOutputMessage.Update(
            xid: xid,
            relationID: relation.id,
            oldTuple: oldTuple,
            oldTupleKind: oldKind,
            newTuple: newTuple
        )
    }

    private func decodeDelete(
        _ reader: inout PGOutputMessageReader
    ) throws(PGOutputDecodingError) -> PGOutputMessage.Delete {
        let xid = try self.readStreamXID(&reader)
        let relation = try self.readKnownRelation(&reader)
        let markerOffset = reader.offset
        let marker: UInt8 = try reader.readInteger("old tuple marker")
        guard let kind = PGOutputMessage.OldTupleKind(rawValue: marker) else {
            throw reader.error(.unknownTupleKind, "tuple marker \(marker) is not K or O", at: markerOffset)
        }
        let tuple = try reader.readTuple(expectedColumns: relation.columns)
        return PGOutputMessage.Delete(xid: xid, relationID: relation.id, oldTuple: tuple, oldTupleKind: kind)
    }

    private func decodeTruncate(
        _ reader: inout PGOutputMessageReader
    ) throws(PGOutputDecodingError) -> PGOutputMessage.Truncate {
        let xid = try self.readStreamXID(&reader)
        let countOffset = reader.offset
        let count: UInt32 = try reader.readInteger("relation count")
        let options: UInt8 = try reader.readInteger("options")
        guard Int(count) <= reader.readableBytes / 4 else {
            throw reader.error(
                .truncated,
                "\(count) relation OIDs need \(Int(count) * 4) bytes, \(reader.readableBytes) left",
                at: countOffset
            )
        }
        var relationIDs: [UInt32] = []
        relationIDs.reserveCapacity(Int(count))
        for _ in 0..<count {
            relationIDs.append(try reader.readInteger("relation OID"))
        }
        return PGOutputMessage.Truncate(
            xid: xid,
            options: PGOutputMessage.Truncate.Options(rawValue: options),
            relationIDs: relationIDs
        )
    }

    private func decodeStreamAbort(
        _ reader: inout PGOutputMessageReader
    ) throws(PGOutputDecodingError) -> PGOutputMessage.StreamAbort {
        let xid: UInt32 = try reader.readInteger("xid")
        let subxid: UInt32 = try reader.readInteger("subtransaction xid")
        let withInfo: Bool
        if self.protocolVersion < .v4 {
            withInfo = false
        } else if let known = self.streamAbortCarriesAbortInfo {
            withInfo = known
        } else {
            withInfo = reader.readableBytes > 0
        }
        guard withInfo else {
            return PGOutputMessage.StreamAbort(xid: xid, subxid: subxid)
        }
        return PGOutputMessage.StreamAbort(
            xid: xid,
            subxid: subxid,
            abortLSN: try reader.readInteger("abort LSN"),
            abortTimestamp: try reader.readInteger("abort timestamp")
        )
    }
}
