public import Foundation

extension EmbeddedPostgres {
    /// Where the embedded cluster lives and what it is set up with.
    public struct Configuration: Sendable {
        /// The Falaj data directory; the cluster goes under `<dataDirectory>/postgres`, the socket under `<dataDirectory>/run`.
        public var dataDirectory: URL
        /// Where the cluster, its socket folder and its log live; default nil: the data directory. When Falaj runs as root
        /// and the `postgres` user cannot enter a parent of the data directory (a checkout under `/root`, say),
        /// ``EmbeddedPostgres`` uses `/var/lib/falaj/embedded/<id of the data directory>` instead and says so in the log.
        public var serverDirectory: URL?
        /// The databases to create (owned by ``roles``' owner) when missing;
        /// default `falaj_directory`, `falaj_cell_me_central_1`, `falaj_cell_eu_west_1`.
        public var databases: [String]
        /// The owner and application roles; default `falaj_owner` and `falaj_app`.
        public var roles: DatabaseRoles
        /// The folder holding `initdb` and `postgres`; default nil: `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
        public var binDirectory: URL?
        /// The port number in the socket's name (`.s.PGSQL.<port>`); there is no TCP listener. Default 5432.
        public var port: Int
        /// How long start-up (initdb excluded) may take before it fails; default 30 s.
        public var startTimeout: Duration
        /// How long a fast shutdown may take before the server is stopped harder; default 30 s.
        public var stopTimeout: Duration
        /// False turns off `fsync` and friends: much faster, but a machine crash can corrupt the cluster. For tests only.
        /// Default true.
        public var isDurable: Bool

        /// The defaults above for `dataDirectory`.
        /// - Parameter dataDirectory: the Falaj data directory, for example `./.falaj`.
        public init(dataDirectory: URL) {
            self.dataDirectory = dataDirectory
            self.serverDirectory = nil
            self.databases = ["falaj_directory", "falaj_cell_me_central_1", "falaj_cell_eu_west_1"]
            self.roles = DatabaseRoles()
            self.binDirectory = nil
            self.port = 5432
            self.startTimeout = .seconds(30)
            self.stopTimeout = .seconds(30)
            self.isDurable = true
        }

        /// The folder holding the cluster, socket and log: ``serverDirectory``, else ``dataDirectory``.
        public var serverRoot: URL { serverDirectory ?? dataDirectory }
        /// `<serverRoot>/postgres`, the cluster's `PGDATA`.
        public var clusterDirectory: URL { serverRoot.appendingPathComponent("postgres", isDirectory: true) }
        /// `<serverRoot>/run`, the directory holding the server's Unix socket.
        public var socketDirectory: URL { serverRoot.appendingPathComponent("run", isDirectory: true) }
        /// `<serverRoot>/postgres.log`, where `initdb` and the server write their output.
        public var logFile: URL { serverRoot.appendingPathComponent("postgres.log", isDirectory: false) }
    }

    /// How to reach a running embedded cluster.
    public struct Cluster: Sendable {
        /// The superuser `postgres` on database `postgres` (for administration and tests, never for the service).
        public let admin: PostgresConfiguration
        /// The socket directory.
        public let socketDirectory: URL
        /// Owner and application access for each configured database, by database name.
        public let databases: [String: DatabaseAccess]

        /// Access to `database`; nil when it was not configured.
        public subscript(database: String) -> DatabaseAccess? { databases[database] }
    }

    /// The two ways into one database of the cluster.
    public struct DatabaseAccess: Sendable, Hashable {
        /// As the owner role: for migrations.
        public let owner: PostgresConfiguration
        /// As the application role (no superuser, no `BYPASSRLS`): for the running service.
        public let app: PostgresConfiguration
    }
}
