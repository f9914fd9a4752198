using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sql;
using Gitfleet.Storage.Postgres;
using Gitfleet.Storage.Sqlite;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Postgres;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>The engines every store test runs on.</summary>
public enum StoreEngine
{
    Sqlite,
    Postgres,
}

/// <summary>A real store per test: a SQLite file in a temp dir, or a fresh database on the test run's PostgreSQL 15.</summary>
public sealed class StoreFixture(StoreEngine engine = StoreEngine.Sqlite) : IAsyncLifetime
{
    private readonly TempDirectory directory = new("gitfleet-store");
    private PostgresServer? postgres;

    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public StoreEngine Engine => engine;

    public SqlFleetStore Store { get; private set; } = null!;

    /// <summary>The SQLite file (SQLite engine).</summary>
    public string DatabasePath => directory.Combine("gitfleet.db");

    /// <summary>The database's name on <see cref="Postgres"/> (PostgreSQL engine).</summary>
    public string DatabaseName { get; private set; } = "";

    public PostgresServer Postgres => postgres ?? throw new InvalidOperationException("not a PostgreSQL fixture");

    public async Task InitializeAsync()
    {
        if (engine == StoreEngine.Sqlite)
        {
            Store = await SqliteFleetStore.OpenAsync(DatabasePath, CancellationToken.None);
            return;
        }

        postgres = await PostgresServer.SharedAsync();
        DatabaseName = await postgres.CreateDatabaseAsync("store");
        Store = await OpenPostgresAsync();
    }

    /// <summary>Another store on the same PostgreSQL database: what a second replica opens.</summary>
    public Task<PostgresFleetStore> OpenPostgresAsync() =>
        PostgresFleetStore.OpenAsync(PostgresLocation.Parse(Postgres.Url(DatabaseName), Postgres.Password), CancellationToken.None);

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        if (postgres is not null)
        {
            await postgres.DropDatabaseAsync(DatabaseName);
        }

        directory.Dispose();
    }

    /// <summary>Runs SQL on the store's database behind its back: what a hand edit or another program would do.</summary>
    public async Task ExecuteBehindTheStoreAsync(string sql)
    {
        if (engine == StoreEngine.Postgres)
        {
            await Postgres.ExecuteAsync(sql, DatabaseName);
            return;
        }

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<DeviceRecord> AcceptedDeviceAsync(string mac, string? deviceType = "rpi4")
    {
        var identity = new Dictionary<string, string> { ["mac"] = mac };
        var outcome = await Store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity, "key-" + mac, Now, CancellationToken.None);
        var device = await Store.SetAuthSetStatusAsync(outcome.Device.Id, outcome.AuthSet.Id, AuthStatus.Accepted, Now, CancellationToken.None);
        if (deviceType is not null)
        {
            await Store.SaveInventoryAsync(outcome.Device.Id, [new("device_type", [deviceType]), new("artifact_name", ["release-1"])], replace: true, Now, CancellationToken.None);
        }

        return device!;
    }

    public static NewDeployment Deployment(string artifact, IEnumerable<string> deviceIds, DateTimeOffset created, string? key = null, int retries = 0, string kind = "os")
    {
        var id = Guid.NewGuid().ToString();
        var rows = deviceIds.Select(d => new DeviceDeploymentRecord
        {
            Id = Guid.NewGuid().ToString(), DeploymentId = id, DeviceId = d, Status = DeviceDeploymentState.Pending, CreatedAt = created,
        }).ToList();
        return new NewDeployment(new DeploymentRecord
        {
            Id = id, Name = "deploy " + artifact, ArtifactName = artifact, Kind = kind, Status = DeploymentState.Pending, CreatedAt = created,
            DeviceCount = rows.Count, Retries = retries, IdempotencyKey = key, Trace = new DeploymentTrace("main", "abc", null, null),
        }, rows);
    }
}
