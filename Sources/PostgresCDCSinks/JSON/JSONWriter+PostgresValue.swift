import Foundation
public import PostgresCDC

extension JSONWriter {
    /// Writes a column value as JSON.
    ///
    /// Integers are numbers; doubles are numbers, with NaN/±infinity as strings; `numeric` is a string with
    /// its exact digits; `json`/`jsonb` are embedded as JSON; dates and times are ISO-8601 strings
    /// (`timestamptz` in UTC with `Z`, ±infinity as `"infinity"`/`"-infinity"`); `bytea` is a `"\\x..."` hex
    /// string; intervals are ISO-8601 durations (`"P1Y2M3DT4H5M6.789S"`); arrays are JSON arrays, nested for
    /// more than one dimension; everything else is a string.
    /// - Parameter value: the value to write.
    public mutating func write(_ value: PostgresValue) {
        switch value {
        case .null:
            self.writeNull()
        case .bool(let bool):
            self.writeBool(bool)
        case .int(let int):
            self.writeInt(int)
        case .double(let double):
            self.writeDouble(double)
        case .numeric(let numeric):
            self.writeString(numeric.description)
        case .string(let string), .inet(let string), .cidr(let string), .macaddr(let string):
            self.writeString(string)
        case .uuid(let uuid):
            self.writeString(uuid.uuidString.lowercased())
        case .json(let json):
            self.writeJSONText(utf8: json.utf8)
        case .bytes(let bytes):
            self.writeBytea(bytes)
        case .date(let date):
            self.writeString(date.description)
        case .time(let time):
            self.writeString(time.description)
        case .timeTZ(let time):
            self.writeString(time.description)
        case .timestamp(let timestamp):
            self.writeString(timestamp.iso8601String(utc: false))
        case .timestampTZ(let timestamp):
            self.writeString(timestamp.iso8601String(utc: true))
        case .interval(let interval):
            self.writeString(interval.description)
        case .array(let array):
            self.writeArray(array)
        case .other(_, let text):
            self.writeString(text)
        }
    }

    private mutating func writeBytea(_ bytes: [UInt8]) {
        self.bytes.reserveCapacity(self.bytes.count + bytes.count * 2 + 5)
        self.bytes.append(contentsOf: #""\\x"#.utf8)
        for byte in bytes {
            self.appendHex(byte >> 4)
            self.appendHex(byte & 0x0F)
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendHex(_ nibble: UInt8) {
        self.bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
    }

    private mutating func writeArray(_ array: PostgresArray) {
        guard !array.dimensions.isEmpty else {
            self.beginArray()
            self.endArray()
            return
        }
        var index = 0
        self.writeArrayLevel(array, dimension: 0, index: &index)
    }

    private mutating func writeArrayLevel(_ array: PostgresArray, dimension: Int, index: inout Int) {
        self.beginArray()
        for position in 0..<array.dimensions[dimension] {
            if position > 0 { self.comma() }
            if dimension + 1 < array.dimensions.count {
                self.writeArrayLevel(array, dimension: dimension + 1, index: &index)
            } else if index < array.elements.count {
                self.write(array.elements[index])
                index += 1
            } else {
                self.writeNull()
            }
        }
        self.endArray()
    }
}
