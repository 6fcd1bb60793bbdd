import Foundation
import PostgresWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL for `pgcdc demo`: the machine's server binaries, a temporary directory, a free
/// loopback port, a random password, and an unprivileged user when run as root. ``stop()`` stops it with
/// `pg_ctl` (never by process name) and removes its files.
struct DemoCluster: Sendable {
    /// The temporary directory (data directory, socket, log).
    let baseDirectory: String
    /// The server's bin directory.
    let binDirectory: String
    /// The port on 127.0.0.1.
    let port: Int
    /// The superuser's password.
    let password: String
    /// The server's major version.
    let majorVersion: Int
    /// The user the server runs as when we are root (`nil`: as ourselves).
    let serverUser: String?

    private var dataDirectory: String { self.baseDirectory + "/data" }
    private var logFile: String { self.baseDirectory + "/server.log" }

    /// Connection settings for the demo database.
    var settings: ConnectionSettings {
        ConnectionSettings(
            endpoints: [.init(host: "127.0.0.1", port: self.port)],
            user: "postgres",
            database: "postgres",
            password: self.password,
            sslMode: .disable
        )
    }

    /// The DSN to show (without the password).
    var displayDSN: String { "postgres://postgres@127.0.0.1:\(self.port)/postgres" }

    /// Finds the server binaries, creates and starts the cluster.
    /// - Parameter environment: where `PGCDC_PG_BINDIR` and `PATH` are read.
    /// - Returns: the running cluster.
    /// - Throws: ``DemoError``.
    static func start(environment: Environment) throws -> DemoCluster {
        let bin = try Self.findBinDirectory(environment: environment)
        let serverUser = try Self.serverUser()
        var template = Array("/tmp/pgcdc-demo-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> String? in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        guard let base = created else {
            throw DemoError(.directory, "could not create a temporary directory under /tmp: \(Self.errnoText())")
        }
        let password = Self.randomPassword()
        do {
            if let serverUser {
                try Self.giveAway(base, to: serverUser)
            }
            let passwordFile = base + "/pwfile"
            try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: passwordFile))
            if let serverUser { try Self.giveAway(passwordFile, to: serverUser) }
            let version = try Self.run(bin + "/pg_ctl", ["--version"], as: nil)
            let major = Self.majorVersion(version)
            try Self.run(
                bin + "/initdb",
                [
                    "-D", base + "/data", "-U", "postgres", "--pwfile=\(passwordFile)", "-A", "scram-sha-256",
                    "-E", "UTF8", "--no-locale", "--no-sync",
                ],
                as: serverUser
            )
            try? FileManager.default.removeItem(atPath: passwordFile)
            var lastError: (any Error)?
            for _ in 0..<3 {
                let port = try Self.freePort()
                let cluster = DemoCluster(
                    baseDirectory: base,
                    binDirectory: bin,
                    port: port,
                    password: password,
                    majorVersion: major,
                    serverUser: serverUser
                )
                do {
                    try cluster.startServer()
                    return cluster
                } catch {
                    lastError = error
                }
            }
            throw lastError ?? DemoError(.toolFailed, "PostgreSQL did not start")
        } catch {
            try? FileManager.default.removeItem(atPath: base)
            throw error
        }
    }

    private func startServer() throws {
        let settings = [
            "-c port=\(self.port)", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=\(self.baseDirectory)",
            "-c wal_level=logical", "-c max_wal_senders=5", "-c max_replication_slots=5", "-c fsync=off",
            "-c synchronous_commit=off", "-c full_page_writes=off",
        ].joined(separator: " ")
        do {
            // In a session of its own (setsid), the server does not receive the terminal's Ctrl-C: pgcdc stops
            // it in order, after the stream.
            let pgctl = [
                self.binDirectory + "/pg_ctl", "-D", self.dataDirectory, "-l", self.logFile, "-w", "-t", "60", "-o",
                settings, "start",
            ]
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid") {
                try Self.run("/usr/bin/setsid", ["-w"] + pgctl, as: self.serverUser)
            } else {
                try Self.run(pgctl[0], Array(pgctl.dropFirst()), as: self.serverUser)
            }
        } catch let error as DemoError {
            let log = (try? String(contentsOfFile: self.logFile, encoding: .utf8)) ?? ""
            throw DemoError(
                error.code,
                error.reason,
                detail: log.split(separator: "\n").suffix(10).joined(separator: "\n")
            )
        }
    }

    /// Stops the server (fast, then immediate) and removes the directory. Never throws: it is cleanup.
    func stop() {
        let pgctl = self.binDirectory + "/pg_ctl"
        if (try? Self.run(
            pgctl,
            ["-D", self.dataDirectory, "-m", "fast", "-w", "-t", "30", "stop"],
            as: self.serverUser
        ))
            == nil
        {
            _ = try? Self.run(pgctl, ["-D", self.dataDirectory, "-m", "immediate", "-w", "stop"], as: self.serverUser)
        }
        try? FileManager.default.removeItem(atPath: self.baseDirectory)
    }

    // MARK: helpers

    /// `PGCDC_PG_BINDIR`, else the newest `/usr/lib/postgresql/*/bin`, else `initdb` on `PATH`.
    static func findBinDirectory(environment: Environment) throws -> String {
        let files = FileManager.default
        func hasTools(_ dir: String) -> Bool {
            files.isExecutableFile(atPath: dir + "/initdb") && files.isExecutableFile(atPath: dir + "/pg_ctl")
        }
        if let dir = environment.value("PGCDC_PG_BINDIR") {
            guard hasTools(dir) else {
                throw DemoError(.binariesMissing, "PGCDC_PG_BINDIR=\(dir) has no initdb and pg_ctl")
            }
            return dir
        }
        let debian = ((try? files.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap { Int($0) }.sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        if let dir = debian.first(where: hasTools) { return dir }
        for dir in (environment.value("PATH") ?? "").split(separator: ":").map(String.init) where hasTools(dir) {
            return dir
        }
        throw DemoError(
            .binariesMissing,
            "PostgreSQL's server programs (initdb, pg_ctl) were not found: install them (for example "
                + "`sudo apt-get install postgresql`, or run scripts/demo.sh which does it) or set PGCDC_PG_BINDIR"
        )
    }

    /// PostgreSQL refuses to run as root: then the server runs as `postgres` (or `nobody`).
    private static func serverUser() throws -> String? {
        guard geteuid() == 0 else { return nil }
        for name in ["postgres", "pgcdc", "nobody"] where getpwnam(name) != nil {
            return name
        }
        throw DemoError(
            .toolFailed,
            "running as root, but there is no 'postgres' or 'nobody' user to run PostgreSQL as: create one or run as a normal user"
        )
    }

    private static func giveAway(_ path: String, to user: String) throws {
        guard let entry = getpwnam(user) else { return }
        guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw DemoError(.directory, "could not hand \(path) to user \(user): \(Self.errnoText())")
        }
    }

    /// Runs a tool (as `user` via `runuser`, or `setpriv` when `runuser` is missing), from `/`, and returns its
    /// output (stdout and stderr, through a temporary file).
    ///
    /// `posix_spawn` and a blocking `waitpid` on the child's pid: Foundation's `Process` did not always notice
    /// the exit of a child whose own child (the postmaster) lives on.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], as user: String?) throws -> String {
        var argv = [tool] + arguments
        if let user {
            if let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            }) {
                argv = [runuser, "-u", user, "--"] + argv
            } else {
                argv = ["/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--init-groups"] + argv
            }
        }
        // The tools warn or fail when the working directory is not readable by the server user.
        argv = ["/usr/bin/env", "--chdir=/"] + argv

        var template = Array("/tmp/pgcdc-tool-XXXXXX".utf8CString)
        let outputFD = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard outputFD >= 0 else {
            throw DemoError(.toolFailed, "could not create a temporary file under /tmp: \(Self.errnoText())")
        }
        let outputPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        _ = fcntl(outputFD, F_SETFD, FD_CLOEXEC)
        defer {
            close(outputFD)
            unlink(outputPath)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 2)

        var cArguments = argv.map { strdup($0) }
        defer {
            for argument in cArguments { free(argument) }
        }
        cArguments.append(nil)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw DemoError(.toolFailed, "could not run \(tool): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw DemoError(.toolFailed, "could not wait for \(tool): \(Self.errnoText())")
            }
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally (low 7 bits 0) with status 0.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            let name = URL(fileURLWithPath: tool).lastPathComponent
            let how = status & 0x7F == 0 ? "exit status \((status >> 8) & 0xFF)" : "signal \(status & 0x7F)"
            throw DemoError(.toolFailed, "\(name) \(arguments.last ?? "") failed with \(how)", detail: text)
        }
        return text
    }

    /// A free TCP port on 127.0.0.1 (bound to port 0, read back, released).
    static func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw DemoError(.toolFailed, "could not open a socket: \(Self.errnoText())") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            throw DemoError(.toolFailed, "could not find a free port on 127.0.0.1: \(Self.errnoText())")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func majorVersion(_ versionOutput: String) -> Int {
        // "pg_ctl (PostgreSQL) 15.14 (Debian ...)"
        let words = versionOutput.split(whereSeparator: { $0 == " " || $0 == "\n" })
        for word in words {
            if let major = word.split(separator: ".").first.flatMap({ Int($0) }) { return major }
        }
        return 0
    }

    private static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
