// Feeds arbitrary bytes to PGOutputDecoder. Built two ways (see docs/fuzzing.md):
// - by scripts/fuzz-pgoutput.sh with `-sanitize=fuzzer,address -D PGOUTPUT_FUZZ`: libFuzzer calls
//   LLVMFuzzerTestOneInput and provides `main`;
// - by a plain `swift build`: a replay tool that runs the files named on the command line (for example a crash
//   file) through the same function.
//
// Input layout: byte 0 picks the protocol version (bits 0-1: 1...4) and the Stream Abort mode (bits 2-3); the rest
// is a sequence of messages, each a big-endian UInt16 length and that many bytes. Before them the decoder gets one
// valid Relation message (relation 16384, three text columns), so that row messages can get past the relation check.
import NIOCore
import PGOutput

#if PGOUTPUT_FUZZ
import Glibc
#else
import Foundation
#endif

func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    guard let control = bytes.first else { return }
    let version = PGOutputProtocolVersion(rawValue: Int(control & 0b11) + 1)
    let abortInfo: Bool? =
        switch (control >> 2) & 0b11 {
        case 0: nil
        case 1: true
        default: false
        }
    var decoder = PGOutputDecoder(protocolVersion: version, streamAbortCarriesAbortInfo: abortInfo)
    _ = try? decoder.decode(seedRelation, walStart: 0)

    var input = ByteBuffer(bytes: bytes.dropFirst())
    while let length = input.readInteger(as: UInt16.self) {
        guard let message = input.readSlice(length: min(Int(length), input.readableBytes)) else { break }
        do {
            let decoded = try decoder.decode(message, walStart: 1)
            check(decoded, decoder: decoder)
        } catch {
            // Every failure must be a structured error with a sane offset and capped raw bytes.
            precondition(error.offset >= 0 && error.offset <= message.readableBytes)
            precondition(error.rawBytes.count <= PGOutputDecodingError.maximumRawBytes)
            _ = error.description
            _ = error.debugDescription
        }
    }
}

/// Touches every value of a decoded message and checks what the decoder promises.
private func check(_ message: PGOutputMessage, decoder: PGOutputDecoder) {
    func visit(_ tuple: TupleData, relationID: UInt32) {
        precondition(decoder.columnCount(ofRelation: relationID) == tuple.count)
        for value in tuple {
            _ = value.bytes?.readableBytes
        }
        precondition(tuple == TupleData(Array(tuple)))
    }
    switch message {
    case .insert(let insert):
        visit(insert.newTuple, relationID: insert.relationID)
    case .update(let update):
        if let old = update.oldTuple { visit(old, relationID: update.relationID) }
        visit(update.newTuple, relationID: update.relationID)
    case .delete(let delete):
        visit(delete.oldTuple, relationID: delete.relationID)
    case .relation(let relation):
        precondition(decoder.columnCount(ofRelation: relation.relationID) == relation.columns.count)
    case .streamStart(let start):
        precondition(decoder.streamingXID == start.xid)
    case .streamStop:
        precondition(decoder.streamingXID == nil)
    default:
        _ = message.hashValue
    }
}

private let seedRelation: ByteBuffer = {
    var buffer = ByteBuffer()
    buffer.writeInteger(UInt8(ascii: "R"))
    buffer.writeInteger(UInt32(16_384))
    buffer.writeNullTerminatedString("public")
    buffer.writeNullTerminatedString("fuzz")
    buffer.writeInteger(UInt8(ascii: "d"))
    buffer.writeInteger(Int16(3))
    for name in ["a", "b", "c"] {
        buffer.writeInteger(UInt8(name == "a" ? 1 : 0))
        buffer.writeNullTerminatedString(name)
        buffer.writeInteger(UInt32(25))
        buffer.writeInteger(Int32(-1))
    }
    return buffer
}()

#if PGOUTPUT_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

/// libFuzzer's entry point for programs that have their own `main` (SwiftPM gives every executable one).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
struct PGOutputFuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        let status = runFuzzerDriver(&argc, &argv) { data, size in
            fuzzOne(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
            return 0
        }
        exit(status)
    }
}
#else
@main
struct PGOutputFuzzReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { fuzzOne($0) }
            print("ok: \(path)")
        }
    }
}
#endif
