import Foundation
import NIOCore
import PGOutput
import PostgresWire

/// One recorded pgoutput session: the protocol version and the XLogData payloads in order.
struct RecordedSession {
    /// Why a fixture file could not be read.
    struct LoadError: Error, CustomStringConvertible {
        var file: String
        var line: Int
        var reason: String
        var description: String { "\(self.file):\(self.line): \(self.reason)" }
    }

    var name: String
    var protocolVersion: PGOutputProtocolVersion
    var messages: [(walStart: UInt64, payload: ByteBuffer)]

    /// The total payload bytes of the session.
    var byteCount: Int { self.messages.reduce(0) { $0 + $1.payload.readableBytes } }

    /// Loads every `*.hex` file of a directory (format: `# protocol: N` header, then `LSN<TAB>xid<TAB>hex`).
    static func load(directory: String) throws -> [RecordedSession] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".hex") }
            .sorted()
        return try files.map { try Self.parse(file: directory + "/" + $0) }
    }

    private static func parse(file: String) throws -> RecordedSession {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var version = PGOutputProtocolVersion.v1
        var messages: [(UInt64, ByteBuffer)] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            if line.hasPrefix("# protocol:") {
                let value = line.dropFirst("# protocol:".count).trimmingCharacters(in: .whitespaces)
                guard let raw = Int(value) else {
                    throw LoadError(file: file, line: number + 1, reason: "bad protocol version")
                }
                version = PGOutputProtocolVersion(rawValue: raw)
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            let fields = line.split(separator: "\t")
            guard fields.count == 3, let lsn = LSN(fields[0]), let bytes = Self.bytes(hex: fields[2]) else {
                throw LoadError(file: file, line: number + 1, reason: "expected LSN<TAB>xid<TAB>hex")
            }
            messages.append((lsn.value, ByteBuffer(bytes: bytes)))
        }
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return RecordedSession(name: name, protocolVersion: version, messages: messages)
    }

    private static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
