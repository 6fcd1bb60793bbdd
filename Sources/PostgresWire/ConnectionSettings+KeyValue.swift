extension ConnectionSettings {
    /// Splits a libpq key=value string (`host=a port=5432 password='it\'s'`) into its pairs, in order.
    ///
    /// libpq's rules: pairs are separated by whitespace; whitespace around `=` is allowed; a value is either
    /// unquoted up to the next whitespace, or single-quoted, and in both forms `\` makes the next character
    /// literal (`\'`, `\\`); `''` is an empty value. Note that, as in libpq, `host= port=1` gives `host` the value
    /// `port=1`: write `host=''` for an empty value.
    /// - Parameter string: the connection string.
    /// - Returns: the pairs in order; a later pair for the same keyword wins.
    /// - Throws: ``PostgresWireError/Code/invalidConnectionString`` for an unknown keyword, a missing `=`, or an
    ///   unterminated quote, naming the position (never the password).
    static func parseKeyValue(_ string: String) throws(PostgresWireError) -> [ConnectionOption] {
        let characters = Array(string)
        var options: [ConnectionOption] = []
        var index = 0

        func isSpace(_ character: Character) -> Bool {
            character == " " || character == "\t" || character == "\n" || character == "\r"
                || character == "\u{0B}" || character == "\u{0C}"
        }
        func skipSpaces() {
            while index < characters.count, isSpace(characters[index]) {
                index += 1
            }
        }

        while true {
            skipSpaces()
            guard index < characters.count else { break }
            // Text after a password may be the rest of an unquoted password with a space in it: never show it.
            let mayShow = options.last?.keyword != "password"

            let keywordStart = index
            while index < characters.count, characters[index] != "=", !isSpace(characters[index]) {
                index += 1
            }
            let keyword = String(characters[keywordStart..<index])
            skipSpaces()
            guard index < characters.count, characters[index] == "=" else {
                let what = mayShow ? "\"\(keyword)\"" : "the word"
                throw PostgresWireError(
                    .invalidConnectionString,
                    "Connection string is missing \"=\" after \(what) at position \(keywordStart + 1)"
                )
            }
            try Self.checkKeyword(keyword, echo: mayShow, position: keywordStart + 1)
            index += 1
            skipSpaces()

            var value = ""
            if index < characters.count, characters[index] == "'" {
                let quoteStart = index
                index += 1
                var closed = false
                while index < characters.count {
                    let character = characters[index]
                    index += 1
                    if character == "\\" {
                        guard index < characters.count else { break }
                        value.append(characters[index])
                        index += 1
                    } else if character == "'" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else {
                    throw PostgresWireError(
                        .invalidConnectionString,
                        "Connection string has an unterminated quoted value for \"\(keyword)\" starting at "
                            + "position \(quoteStart + 1)"
                    )
                }
            } else {
                while index < characters.count, !isSpace(characters[index]) {
                    if characters[index] == "\\" {
                        index += 1
                        guard index < characters.count else { break }
                    }
                    value.append(characters[index])
                    index += 1
                }
            }
            options.append(ConnectionOption(keyword: keyword, value: value))
        }
        return options
    }
}
