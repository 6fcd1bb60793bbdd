import Foundation
import NIOCore

/// Decodes the binary send format of a value (pgoutput `b`).
struct BinaryValueDecoder {
    let catalog: PostgresTypeCatalog

    /// Arrays nest at most this deep (PostgreSQL's `MAXDIM`).
    static let maxDimensions = 6

    func decode(_ buffer: inout ByteBuffer, typeOID: UInt32, depth: Int) throws(DecodeFailure) -> PostgresValue {
        let value: PostgresValue
        switch ResolvedType(oid: typeOID, catalog: self.catalog) {
        case .scalar(let scalar):
            value = try self.decodeScalar(scalar, &buffer)
        case .enumeration:
            value = .string(try Self.readUTF8(&buffer))
        case .array(let elementOID):
            guard depth == 0 else { throw DecodeFailure(.invalidArray, "an array element is itself an array") }
            value = .array(try self.decodeArray(&buffer, elementOID: elementOID))
        case .other:
            value = .other(typeOID: typeOID, text: "\\x" + Self.hex(buffer.readableBytesView))
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        guard buffer.readableBytes == 0 else {
            throw DecodeFailure(.trailingBytes, "\(buffer.readableBytes) bytes left after the value")
        }
        return value
    }

    private func decodeScalar(
        _ scalar: BuiltinScalar,
        _ buffer: inout ByteBuffer
    ) throws(DecodeFailure) -> PostgresValue {
        switch scalar {
        case .bool:
            switch try Self.read(UInt8.self, &buffer) {
            case 0: return .bool(false)
            case 1: return .bool(true)
            case let byte: throw DecodeFailure(.malformedBinary, "bool byte \(byte) is neither 0 nor 1")
            }
        case .int2:
            return .int(Int64(try Self.read(Int16.self, &buffer)))
        case .int4:
            return .int(Int64(try Self.read(Int32.self, &buffer)))
        case .int8:
            return .int(try Self.read(Int64.self, &buffer))
        case .oid:
            return .int(Int64(try Self.read(UInt32.self, &buffer)))
        case .float4:
            return .double(Double(Float(bitPattern: try Self.read(UInt32.self, &buffer))))
        case .float8:
            return .double(Double(bitPattern: try Self.read(UInt64.self, &buffer)))
        case .numeric:
            return .numeric(try Self.decodeNumeric(&buffer))
        case .text, .varchar, .bpchar, .name, .xml:
            return .string(try Self.readUTF8(&buffer))
        case .char:
            return .string(try Self.decodeChar(&buffer))
        case .json:
            return .json(try Self.readUTF8(&buffer))
        case .jsonb:
            let version = try Self.read(UInt8.self, &buffer)
            guard version == 1 else { throw DecodeFailure(.malformedBinary, "jsonb version \(version) is not 1") }
            return .json(try Self.readUTF8(&buffer))
        case .bytea:
            return .bytes(buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .uuid:
            guard let bytes = buffer.readBytes(length: 16) else {
                throw DecodeFailure(.unexpectedEnd, "a uuid needs 16 bytes, got \(buffer.readableBytes)")
            }
            let uuid = (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
            return .uuid(UUID(uuid: uuid))
        case .date:
            return .date(PostgresDate(daysSince2000: try Self.read(Int32.self, &buffer)))
        case .time:
            return .time(PostgresTime(microsecondsSinceMidnight: try Self.read(Int64.self, &buffer)))
        case .timetz:
            let time = try Self.read(Int64.self, &buffer)
            let secondsWest = try Self.read(Int32.self, &buffer)
            guard secondsWest != .min else { throw DecodeFailure(.outOfRange, "timetz zone out of range") }
            return .timeTZ(
                PostgresTimeTZ(time: PostgresTime(microsecondsSinceMidnight: time), utcOffsetSeconds: -secondsWest)
            )
        case .timestamp:
            return .timestamp(PostgresTimestamp(microsecondsSince2000: try Self.read(Int64.self, &buffer)))
        case .timestamptz:
            return .timestampTZ(PostgresTimestamp(microsecondsSince2000: try Self.read(Int64.self, &buffer)))
        case .interval:
            let microseconds = try Self.read(Int64.self, &buffer)
            let days = try Self.read(Int32.self, &buffer)
            let months = try Self.read(Int32.self, &buffer)
            return .interval(PostgresInterval(months: months, days: days, microseconds: microseconds))
        case .inet, .cidr:
            let family = try Self.read(UInt8.self, &buffer)
            let bits = try Self.read(UInt8.self, &buffer)
            let isCIDR = try Self.read(UInt8.self, &buffer)
            let length = try Self.read(UInt8.self, &buffer)
            let expected: UInt8
            switch family {
            case 2: expected = 4
            case 3: expected = 16
            default: throw DecodeFailure(.malformedBinary, "unknown address family \(family)")
            }
            guard length == expected, Int(bits) <= Int(expected) * 8, isCIDR <= 1 else {
                throw DecodeFailure(.malformedBinary, "address of \(length) bytes with \(bits) bits")
            }
            guard let address = buffer.readBytes(length: Int(length)) else {
                throw DecodeFailure(.unexpectedEnd, "the address needs \(length) bytes")
            }
            let text = NetworkAddressFormatter.format(address: address, bits: bits, isCIDR: isCIDR == 1)
            return scalar == .cidr ? .cidr(text) : .inet(text)
        case .macaddr, .macaddr8:
            let length = scalar == .macaddr ? 6 : 8
            guard let bytes = buffer.readBytes(length: length) else {
                throw DecodeFailure(.unexpectedEnd, "a MAC address needs \(length) bytes")
            }
            return .macaddr(NetworkAddressFormatter.macaddr(bytes))
        case .money:
            throw DecodeFailure(.malformedBinary, "money has no decoder")
        }
    }

    private func decodeArray(_ buffer: inout ByteBuffer, elementOID: UInt32) throws(DecodeFailure) -> PostgresArray {
        let dimensionCount = try Self.read(Int32.self, &buffer)
        let flags = try Self.read(Int32.self, &buffer)
        let elementType = try Self.read(UInt32.self, &buffer)
        guard (0...Int32(Self.maxDimensions)).contains(dimensionCount), flags == 0 || flags == 1 else {
            throw DecodeFailure(.invalidArray, "array header with \(dimensionCount) dimensions and flags \(flags)")
        }
        var dimensions: [Int] = []
        var lowerBounds: [Int] = []
        var count = dimensionCount == 0 ? 0 : 1
        for _ in 0..<dimensionCount {
            let length = try Self.read(Int32.self, &buffer)
            let lowerBound = try Self.read(Int32.self, &buffer)
            guard length >= 0 else { throw DecodeFailure(.invalidArray, "negative dimension length \(length)") }
            dimensions.append(Int(length))
            lowerBounds.append(Int(lowerBound))
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(length))
            // Every element takes at least its 4-byte length.
            guard !overflow, product <= buffer.readableBytes / 4 else {
                throw DecodeFailure(.invalidArray, "the dimensions announce more elements than the bytes hold")
            }
            count = product
        }
        if dimensionCount > 0 && count == 0 {
            dimensions = []
            lowerBounds = []
        }
        let decodeType = elementType == 0 ? elementOID : elementType
        var elements: [PostgresValue] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            let length = try Self.read(Int32.self, &buffer)
            if length == -1 {
                elements.append(.null)
                continue
            }
            guard length >= 0, var slice = buffer.readSlice(length: Int(length)) else {
                throw DecodeFailure(.unexpectedEnd, "an array element of \(length) bytes runs past the end")
            }
            elements.append(try self.decode(&slice, typeOID: decodeType, depth: 1))
        }
        return PostgresArray(
            elementTypeOID: decodeType,
            dimensions: dimensions,
            lowerBounds: lowerBounds,
            elements: elements
        )
    }

    /// `numeric_send`: ndigits, weight, sign, dscale, then base-10000 digits; printed like `get_str_from_var`.
    private static func decodeNumeric(_ buffer: inout ByteBuffer) throws(DecodeFailure) -> PostgresNumeric {
        let digitCount = try Self.read(Int16.self, &buffer)
        let weight = Int(try Self.read(Int16.self, &buffer))
        let sign = try Self.read(UInt16.self, &buffer)
        let displayScale = try Self.read(UInt16.self, &buffer)
        switch sign {
        case 0xC000: return PostgresNumeric(validated: "NaN")
        case 0xD000: return PostgresNumeric(validated: "Infinity")
        case 0xF000: return PostgresNumeric(validated: "-Infinity")
        case 0x0000, 0x4000: break
        default: throw DecodeFailure(.malformedBinary, "numeric sign 0x\(String(sign, radix: 16))")
        }
        guard digitCount >= 0, displayScale <= 0x3FFF else {
            throw DecodeFailure(.malformedBinary, "numeric with \(digitCount) digits and scale \(displayScale)")
        }
        var digits: [Int16] = []
        digits.reserveCapacity(Int(digitCount))
        for _ in 0..<digitCount {
            let digit = try Self.read(Int16.self, &buffer)
            guard (0..<10000).contains(digit) else {
                throw DecodeFailure(.malformedBinary, "numeric digit \(digit) is not in base 10000")
            }
            digits.append(digit)
        }
        var text = sign == 0x4000 ? "-" : ""
        func digit(at index: Int) -> Int {
            index >= 0 && index < digits.count ? Int(digits[index]) : 0
        }
        if weight < 0 {
            text += "0"
        } else {
            for index in 0...weight {
                PostgresCalendar.append(digit(at: index), width: index == 0 ? 1 : 4, to: &text)
            }
        }
        if displayScale > 0 {
            text += "."
            var remaining = Int(displayScale)
            var index = weight + 1
            while remaining > 0 {
                var group = ""
                PostgresCalendar.append(digit(at: index), width: 4, to: &group)
                text += group.prefix(remaining)
                remaining -= 4
                index += 1
            }
        }
        return PostgresNumeric(validated: text)
    }

    /// `charsend`: one byte (none for `\0`); printed like `charout` (`\ooo` for bytes with the high bit set).
    private static func decodeChar(_ buffer: inout ByteBuffer) throws(DecodeFailure) -> String {
        guard let byte = buffer.readInteger(as: UInt8.self) else { return "" }
        if byte >= 0x80 {
            return "\\" + String(byte >> 6) + String((byte >> 3) & 7) + String(byte & 7)
        }
        return byte == 0 ? "" : String(UnicodeScalar(byte))
    }

    static func readUTF8(_ buffer: inout ByteBuffer) throws(DecodeFailure) -> String {
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw DecodeFailure(.invalidUTF8, "the text is not valid UTF-8")
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return text
    }

    private static func read<Integer: FixedWidthInteger>(
        _ type: Integer.Type,
        _ buffer: inout ByteBuffer
    ) throws(DecodeFailure) -> Integer {
        guard let value = buffer.readInteger(endianness: .big, as: Integer.self) else {
            throw DecodeFailure(
                .unexpectedEnd,
                "expected \(MemoryLayout<Integer>.size) more bytes, got \(buffer.readableBytes)"
            )
        }
        return value
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
