import NIOCore
import PGOutput

// Small accessors that keep the scenario tests readable.
extension PGOutputMessage {
    var begin: Begin? { if case .begin(let value) = self { value } else { nil } }
    var commit: Commit? { if case .commit(let value) = self { value } else { nil } }
    var origin: Origin? { if case .origin(let value) = self { value } else { nil } }
    var relation: Relation? { if case .relation(let value) = self { value } else { nil } }
    var typeInfo: TypeInfo? { if case .type(let value) = self { value } else { nil } }
    var insert: Insert? { if case .insert(let value) = self { value } else { nil } }
    var update: Update? { if case .update(let value) = self { value } else { nil } }
    var delete: Delete? { if case .delete(let value) = self { value } else { nil } }
    var truncate: Truncate? { if case .truncate(let value) = self { value } else { nil } }
    var logicalMessage: LogicalMessage? { if case .message(let value) = self { value } else { nil } }
    var streamStart: StreamStart? { if case .streamStart(let value) = self { value } else { nil } }
    var streamCommit: StreamCommit? { if case .streamCommit(let value) = self { value } else { nil } }
    var streamAbort: StreamAbort? { if case .streamAbort(let value) = self { value } else { nil } }
    var beginPrepare: BeginPrepare? { if case .beginPrepare(let value) = self { value } else { nil } }
    var prepare: Prepare? { if case .prepare(let value) = self { value } else { nil } }
    var streamPrepare: StreamPrepare? { if case .streamPrepare(let value) = self { value } else { nil } }
    var commitPrepared: CommitPrepared? { if case .commitPrepared(let value) = self { value } else { nil } }
    var rollbackPrepared: RollbackPrepared? { if case .rollbackPrepared(let value) = self { value } else { nil } }

    /// The one-letter tag, to compare message sequences.
    var tag: Character {
        switch self {
        case .begin: "B"
        case .commit: "C"
        case .origin: "O"
        case .relation: "R"
        case .type: "Y"
        case .insert: "I"
        case .update: "U"
        case .delete: "D"
        case .truncate: "T"
        case .message: "M"
        case .streamStart: "S"
        case .streamStop: "E"
        case .streamCommit: "c"
        case .streamAbort: "A"
        case .beginPrepare: "b"
        case .prepare: "P"
        case .commitPrepared: "K"
        case .rollbackPrepared: "r"
        case .streamPrepare: "p"
        }
    }

    /// The xid that row, relation, type and message messages carry inside a stream block.
    var streamXID: UInt32?? {
        switch self {
        case .relation(let value): value.xid
        case .type(let value): value.xid
        case .insert(let value): value.xid
        case .update(let value): value.xid
        case .delete(let value): value.xid
        case .truncate(let value): value.xid
        case .message(let value): value.xid
        default: nil
        }
    }
}

extension TupleData {
    /// The column values as strings: text values as text, `nil` for null, "<unchanged>" for unchanged TOAST.
    var texts: [String?] {
        self.map { value in
            switch value {
            case .null: nil
            case .unchangedToast: "<unchanged>"
            case .text(let bytes), .binary(let bytes): String(buffer: bytes)
            }
        }
    }
}
