import Foundation
import NIOCore
import PGOutput

/// One scenario recorded by `scripts/record-pgoutput-fixtures.sh`: what `pg_logical_slot_peek_binary_changes`
/// returned, one message per line.
struct Fixture: Sendable {
    struct Message: Sendable {
        /// The `lsn` column.
        var lsn: UInt64
        /// The `xid` column.
        var xid: UInt32
        /// The message bytes (the `data` column).
        var bytes: ByteBuffer
    }

    enum LoadError: Error {
        case missing(String)
        case malformedLine(String, line: Int)
    }

    /// Every recorded scenario.
    static let names = [
        "v1-types-default", "v1-binary", "v1-identity-full", "v1-identity-index", "v1-toast-unchanged",
        "v1-messages", "v1-alter-table", "v1-type-message", "v1-origin", "v2-stream-commit", "v2-stream-abort",
        "v3-two-phase", "v3-stream-prepare",
    ]

    var name: String
    var protocolVersion: PGOutputProtocolVersion
    var messages: [Message]

    static func load(_ name: String) throws -> Fixture {
        guard let url = Bundle.module.url(forResource: name, withExtension: "hex", subdirectory: "Fixtures") else {
            throw LoadError.missing(name)
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        var version = PGOutputProtocolVersion.v1
        var messages: [Message] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            if line.hasPrefix("# protocol: "), let value = Int(line.dropFirst("# protocol: ".count)) {
                version = PGOutputProtocolVersion(rawValue: value)
                continue
            }
            if line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t")
            guard fields.count == 3, let lsn = parseLSN(fields[0]), let xid = UInt32(fields[1]),
                let bytes = parseHex(fields[2])
            else {
                throw LoadError.malformedLine(name, line: number + 1)
            }
            messages.append(Message(lsn: lsn, xid: xid, bytes: bytes))
        }
        return Fixture(name: name, protocolVersion: version, messages: messages)
    }

    static func loadAll() throws -> [Fixture] {
        try names.map(load)
    }

    /// Parses `X/Y` (two hex numbers) into a 64-bit LSN.
    static func parseLSN(_ text: Substring) -> UInt64? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else {
            return nil
        }
        return high << 32 | low
    }

    static func parseHex(_ text: Substring) -> ByteBuffer? {
        let utf8 = Array(text.utf8)
        guard utf8.count.isMultiple(of: 2) else { return nil }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            buffer.writeInteger(high << 4 | low)
            index += 2
        }
        return buffer
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Decodes every message in order with a fresh decoder.
    func decodeAll() throws -> [PGOutputMessage] {
        var decoder = PGOutputDecoder(protocolVersion: self.protocolVersion)
        return try self.messages.map { message in
            try decoder.decode(message.bytes, walStart: message.lsn)
        }
    }
}
