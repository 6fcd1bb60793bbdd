import NIOCore

extension BackendMessage {
    /// Decodes one message body (the bytes after the tag and length).
    /// - Parameters:
    ///   - tag: the message's type byte.
    ///   - body: exactly the message's payload; it must be consumed completely.
    /// - Throws: ``MessageDecodingError`` for an unknown tag or a malformed body.
    static func decode(tag: UInt8, body: inout ByteBuffer) throws(MessageDecodingError) -> BackendMessage {
        let start = body.readerIndex
        func fail(_ reason: String) -> MessageDecodingError {
            var copy = body
            copy.moveReaderIndex(to: start)
            return MessageDecodingError(tag: tag, offset: body.readerIndex - start, reason: reason, bytes: copy)
        }
        func int32(_ field: String) throws(MessageDecodingError) -> Int32 {
            guard let value = body.readInteger(endianness: .big, as: Int32.self) else {
                throw fail("truncated \(field)")
            }
            return value
        }
        func int16(_ field: String) throws(MessageDecodingError) -> Int16 {
            guard let value = body.readInteger(endianness: .big, as: Int16.self) else {
                throw fail("truncated \(field)")
            }
            return value
        }
        func string(_ field: String) throws(MessageDecodingError) -> String {
            guard let value = body.readNullTerminatedString() else { throw fail("unterminated \(field)") }
            return value
        }

        let message: BackendMessage
        switch tag {
        case UInt8(ascii: "R"):
            let code = try int32("authentication code")
            switch code {
            case 0: message = .authentication(.ok)
            case 3: message = .authentication(.cleartextPassword)
            case 5:
                guard let salt = body.readMultipleIntegers(as: (UInt8, UInt8, UInt8, UInt8).self) else {
                    throw fail("truncated MD5 salt")
                }
                message = .authentication(.md5Password(salt: salt))
            case 10:
                var mechanisms: [String] = []
                while true {
                    let name = try string("SASL mechanism")
                    if name.isEmpty { break }
                    mechanisms.append(name)
                }
                message = .authentication(.sasl(mechanisms: mechanisms))
            case 11:
                message = .authentication(.saslContinue(body.readSlice(length: body.readableBytes) ?? ByteBuffer()))
            case 12: message = .authentication(.saslFinal(body.readSlice(length: body.readableBytes) ?? ByteBuffer()))
            default:
                message = .authentication(.unsupported(code: code))
                body.moveReaderIndex(forwardBy: body.readableBytes)
            }
        case UInt8(ascii: "S"):
            let name = try string("parameter name")
            let value = try string("parameter value")
            message = .parameterStatus(name: name, value: value)
        case UInt8(ascii: "K"):
            let pid = try int32("process id")
            // PostgreSQL 18 with protocol 3.2 may send a longer key; 3.0 sends 4 bytes.
            let key = body.readSlice(length: body.readableBytes) ?? ByteBuffer()
            message = .backendKeyData(processID: pid, secretKey: key)
        case UInt8(ascii: "Z"):
            guard let status = body.readInteger(as: UInt8.self) else { throw fail("truncated transaction status") }
            message = .readyForQuery(transactionStatus: status)
        case UInt8(ascii: "T"):
            let count = try int16("field count")
            guard count >= 0 else { throw fail("negative field count \(count)") }
            var names: [String] = []
            names.reserveCapacity(Int(count))
            for _ in 0..<count {
                names.append(try string("field name"))
                // table oid, column number, type oid, type size, type modifier, format code
                guard body.readSlice(length: 18) != nil else { throw fail("truncated field description") }
            }
            message = .rowDescription(names)
        case UInt8(ascii: "D"):
            let count = try int16("column count")
            guard count >= 0 else { throw fail("negative column count \(count)") }
            var columns: [ByteBuffer?] = []
            columns.reserveCapacity(Int(count))
            for _ in 0..<count {
                let length = try int32("column length")
                if length == -1 {
                    columns.append(nil)
                } else {
                    guard length >= 0, let value = body.readSlice(length: Int(length)) else {
                        throw fail("column length \(length) exceeds the message")
                    }
                    columns.append(value)
                }
            }
            message = .dataRow(columns)
        case UInt8(ascii: "C"):
            message = .commandComplete(try string("command tag"))
        case UInt8(ascii: "I"):
            message = .emptyQueryResponse
        case UInt8(ascii: "E"), UInt8(ascii: "N"):
            var fields = PostgresWireError.ServerFields()
            while true {
                guard let code = body.readInteger(as: UInt8.self) else { throw fail("unterminated error fields") }
                if code == 0 { break }
                let value = try string("error field")
                switch code {
                case UInt8(ascii: "V"): fields.severity = value
                case UInt8(ascii: "S"): fields.severity = fields.severity ?? value
                case UInt8(ascii: "C"): fields.sqlState = value
                case UInt8(ascii: "M"): fields.message = value
                case UInt8(ascii: "D"): fields.detail = value
                case UInt8(ascii: "H"): fields.hint = value
                case UInt8(ascii: "R"): fields.routine = value
                default: continue  // position, where, schema, table, ...: the protocol says to ignore unknown fields
                }
            }
            message = tag == UInt8(ascii: "E") ? .errorResponse(fields) : .noticeResponse(fields)
        case UInt8(ascii: "W"), UInt8(ascii: "H"):
            // overall format, column count, per-column formats: always binary/none for replication
            body.moveReaderIndex(forwardBy: body.readableBytes)
            message = tag == UInt8(ascii: "W") ? .copyBothResponse : .copyOutResponse
        case UInt8(ascii: "d"):
            message = .copyData(body.readSlice(length: body.readableBytes) ?? ByteBuffer())
        case UInt8(ascii: "c"):
            message = .copyDone
        case UInt8(ascii: "A"):
            let pid = try int32("process id")
            message = .notification(processID: pid, channel: try string("channel"), payload: try string("payload"))
        case UInt8(ascii: "v"):
            let minor = try int32("minor version")
            let count = try int32("option count")
            guard count >= 0 else { throw fail("negative option count") }
            var options: [String] = []
            for _ in 0..<count { options.append(try string("option name")) }
            message = .negotiateProtocolVersion(newestMinorVersion: minor, unrecognizedOptions: options)
        default:
            throw fail("unknown message tag")
        }
        guard body.readableBytes == 0 else {
            throw fail("\(body.readableBytes) unexpected bytes after the message")
        }
        return message
    }
}
