using System.Globalization;
using System.Security.Cryptography;
using Gitfleet.TestSupport.Processes;
using Npgsql;

namespace Gitfleet.TestSupport.Postgres;

/// <summary>
/// A real PostgreSQL 15 (Debian's package) that the test harness runs itself: <c>initdb</c> into a temp dir (as the
/// <c>postgres</c> user when the tests run as root; initdb refuses root), <c>pg_ctl start</c> on a free port of
/// 127.0.0.1 with its socket in the same dir, password (SCRAM) authentication over TCP like a real deployment.
/// Disposing stops it and removes the dir; a <see cref="ProcessWatchdog"/> does the same if the test process is killed.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    public const string User = "gitfleet";
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(() => StartSharedAsync());
    private readonly ProcessWatchdog watchdog;
    private readonly bool asPostgresUser;
    private int disposed;

    private PostgresServer(string directory, int port, string password, bool asPostgresUser, ProcessWatchdog watchdog)
    {
        Directory = directory;
        Port = port;
        Password = password;
        this.asPostgresUser = asPostgresUser;
        this.watchdog = watchdog;
    }

    /// <summary>The temp dir: data/, the server log and the Unix socket.</summary>
    public string Directory { get; }

    public string DataDirectory => Path.Combine(Directory, "data");

    public string LogPath => Path.Combine(Directory, "postgres.log");

    public int Port { get; }

    /// <summary>The superuser <see cref="User"/>'s password (random per server).</summary>
    public string Password { get; }

    /// <summary>Why PostgreSQL cannot run here, or null. scripts/prerequisites.sh installs it.</summary>
    public static string? Unavailable() =>
        File.Exists(Path.Combine(BinDirectory, "initdb")) ? null : $"PostgreSQL 15 is not installed ({BinDirectory}/initdb missing; scripts/prerequisites.sh installs postgresql)";

    /// <summary>
    /// One server for the whole test process (each test takes its own database from it with
    /// <see cref="CreateDatabaseAsync"/>); stopped when the process exits.
    /// </summary>
    public static Task<PostgresServer> SharedAsync() => SharedServer.Value;

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = await StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    /// <summary>Initialises and starts a new server. <paramref name="durable"/> false turns fsync off (tests).</summary>
    public static async Task<PostgresServer> StartAsync(bool durable = false)
    {
        if (Unavailable() is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var directory = Path.Combine(Path.GetTempPath(), "gitfleet-pg-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var asPostgresUser = Environment.IsPrivilegedProcess;
        var watchdog = new ProcessWatchdog(
            $"{Quote(asPostgresUser, Path.Combine(BinDirectory, "pg_ctl"))} -D {ProcessWatchdog.Quote(Path.Combine(directory, "data"))} stop -m immediate; rm -rf {ProcessWatchdog.Quote(directory)}");
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        try
        {
            var passwordFile = Path.Combine(directory, "pwfile");
            await File.WriteAllTextAsync(passwordFile, password + "\n");
            if (asPostgresUser)
            {
                await Command.CheckedAsync("chown", "-R", "postgres:postgres", directory);
            }

            await RunAsync(asPostgresUser, "initdb", "-D", Path.Combine(directory, "data"), "-U", User, "--pwfile", passwordFile,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
            File.Delete(passwordFile);
            var settings = durable ? "" : "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
            await File.AppendAllTextAsync(Path.Combine(directory, "data", "postgresql.conf"),
                $"\n# gitfleet test harness\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{directory}'\nmax_connections = 400\n{settings}");
            for (var attempt = 1; ; attempt++)
            {
                var server = new PostgresServer(directory, FreePort.Next(), password, asPostgresUser, watchdog);
                try
                {
                    await server.StartAgainAsync();
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 5 && File.Exists(server.LogPath) && File.ReadAllText(server.LogPath).Contains("in use", StringComparison.Ordinal))
                {
                    // Another process took the port between the probe and the bind: try another.
                }
            }
        }
        catch
        {
            watchdog.Dispose();
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Starts the (stopped) server again on the same port and data: the "PostgreSQL restarted" scenario.</summary>
    public async Task StartAgainAsync() =>
        await RunAsync(asPostgresUser, "pg_ctl", "-D", DataDirectory, "-o", $"-p {Port.ToString(CultureInfo.InvariantCulture)}", "-l", LogPath, "-w", "-t", "60", "start");

    /// <summary>Stops the server (fast: open sessions are disconnected, as a restart does to clients).</summary>
    public async Task StopAsync() => await RunAsync(asPostgresUser, "pg_ctl", "-D", DataDirectory, "-w", "-t", "60", "stop", "-m", "fast");

    /// <summary>A connection string for <paramref name="database"/> as the superuser, with its password.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>The database's URL as an operator writes it in the <c>store</c> setting (no password: it comes from the environment or a file).</summary>
    public string Url(string database) => $"postgres://{User}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{database}";

    /// <summary>Creates an empty database with a unique name (one per test) and returns the name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 17, 63)];
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>Drops a database, disconnecting whoever still uses it.</summary>
    public Task DropDatabaseAsync(string name) => ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");

    /// <summary>Runs a statement as the superuser on <paramref name="database"/>.</summary>
    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query that returns one value, on <paramref name="database"/>.</summary>
    public async Task<T> ScalarAsync<T>(string sql, string database)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await RunAsync(asPostgresUser, "pg_ctl", "-D", DataDirectory, "-w", "-t", "30", "stop", "-m", "immediate");
        }
        catch (InvalidOperationException)
        {
            // Already stopped (a test stopped it and failed before starting it again).
        }

        watchdog.Dispose();
        if (Environment.GetEnvironmentVariable("GITFLEET_KEEP_TEST_DIRS") != "1")
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task RunAsync(bool asPostgresUser, string tool, params string[] arguments)
    {
        var path = Path.Combine(BinDirectory, tool);
        if (asPostgresUser)
        {
            await Command.CheckedAsync("runuser", ["-u", "postgres", "--", path, .. arguments]);
        }
        else
        {
            await Command.CheckedAsync(path, arguments);
        }
    }

    private static string Quote(bool asPostgresUser, string path) =>
        asPostgresUser ? $"runuser -u postgres -- {ProcessWatchdog.Quote(path)}" : ProcessWatchdog.Quote(path);
}
