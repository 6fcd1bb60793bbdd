import Foundation

/// Option values from environment variables: `PGCDC_*`, plus the seed's `PYPGCDC_*` names.
struct Environment: Sendable {
    /// The variables.
    var variables: [String: String]

    /// The process environment.
    static var process: Environment { Environment(variables: ProcessInfo.processInfo.environment) }

    /// The first non-empty value among `names`.
    /// - Parameter names: the variables, in order of preference.
    /// - Returns: the value, or `nil`.
    func value(_ names: String...) -> String? {
        for name in names {
            if let value = self.variables[name], !value.isEmpty { return value }
        }
        return nil
    }

    /// The slot: the option's value, else `PGCDC_SLOT` / `PYPGCDC_SLOT`, else `test_slot` (the seed's default).
    /// - Parameter option: the `--slot` value, if given.
    /// - Returns: the slot name.
    func slot(_ option: String?) -> String {
        option ?? self.value("PGCDC_SLOT", "PYPGCDC_SLOT") ?? "test_slot"
    }

    /// The publication: the option's value, else `PGCDC_PUBLICATION` / `PYPGCDC_PUBLICATION`, else
    /// `test_publication` (the seed's default).
    /// - Parameter option: the `--publication` value, if given.
    /// - Returns: the publication name (for `stream`, a comma-separated list).
    func publication(_ option: String?) -> String {
        option ?? self.value("PGCDC_PUBLICATION", "PYPGCDC_PUBLICATION") ?? "test_publication"
    }

    /// A boolean variable: true for `1`, `true`, `yes`, `on` (any case); false for anything else set.
    /// - Parameter names: the variables, in order of preference.
    /// - Returns: the value, or `nil` when none is set.
    func flag(_ names: String...) -> Bool? {
        for name in names {
            if let value = self.variables[name], !value.isEmpty {
                return ["1", "true", "yes", "on"].contains(value.lowercased())
            }
        }
        return nil
    }
}
