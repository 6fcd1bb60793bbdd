import Foundation
import NIOCore
import PostgresCDC

/// The values recorded from a real server by `scripts/record-value-fixtures.sh`.
enum ValueFixtures {
    struct Recorded: Sendable {
        var typeOID: UInt32
        var text: [UInt8]
        var binary: [UInt8]
    }

    static let values: [String: Recorded] = {
        var result: [String: Recorded] = [:]
        for fields in rows("values") {
            guard fields.count == 4, let oid = UInt32(fields[1]) else { continue }
            result[fields[0]] = Recorded(typeOID: oid, text: hexBytes(fields[2]), binary: hexBytes(fields[3]))
        }
        return result
    }()

    /// OIDs of the enum and domain types of the recording, by name.
    static let typeOIDs: [String: UInt32] = {
        var result: [String: UInt32] = [:]
        for fields in rows("types") where fields.count == 5 {
            result[fields[2]] = UInt32(fields[0])
        }
        return result
    }()

    /// The built-in catalog plus the recording's enum, domain and their arrays.
    static let catalog: PostgresTypeCatalog = {
        var catalog = PostgresTypeCatalog.builtin
        for fields in rows("types") where fields.count == 5 {
            guard let oid = UInt32(fields[0]), let related = UInt32(fields[4]) else { continue }
            let kind: PostgresTypeInfo.Kind =
                switch fields[3] {
                case "enum": .enumeration
                case "domain": .domain(baseOID: related)
                case "array": .array(elementOID: related)
                default: .other
                }
            catalog.register(PostgresTypeInfo(oid: oid, namespace: fields[1], name: fields[2], kind: kind))
        }
        return catalog
    }()

    static var moodOID: UInt32 { typeOIDs["mood"] ?? 0 }

    private static func rows(_ name: String) -> [[String]] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "tsv", subdirectory: "Fixtures"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    private static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) ?? 0)
        }
        return bytes
    }
}
