/// A failure of `pgcdc demo`: PostgreSQL missing, or the throwaway server would not start.
struct DemoError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// No PostgreSQL server binaries were found.
        static let binariesMissing = Code("binariesMissing")
        /// A server tool (`initdb`, `pg_ctl`) failed.
        static let toolFailed = Code("toolFailed")
        /// The temporary directory could not be prepared.
        static let directory = Code("directory")
        var description: String { self.name }
    }

    /// What failed.
    var code: Code
    /// One sentence: what failed and what to do.
    var reason: String
    /// The tool's output or the server log's tail, for `--verbose` readers.
    var detail: String?

    init(_ code: Code, _ reason: String, detail: String? = nil) {
        self.code = code
        self.reason = reason
        self.detail = detail
    }

    var description: String {
        guard let detail, !detail.isEmpty else { return self.reason }
        return "\(self.reason)\n\(detail)"
    }
}
