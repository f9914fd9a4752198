using Gitfleet.Server.Hosting;
using Gitfleet.TestSupport;
using Gitfleet.TestSupport.Postgres;

namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// Several in-process servers (replicas) on one PostgreSQL database and one shared artifact directory, each with
/// its own data dir, as docs/operations.md sets them up. The database is on the test run's shared PostgreSQL
/// unless a test brings its own server (to stop and restart it).
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TempDirectory artifacts = new("gitfleet-shared-artifacts");
    private readonly List<TestServer> replicas = [];
    private PostgresServer postgres = null!;
    private string database = "";

    private TestCluster()
    {
    }

    public IReadOnlyList<TestServer> Replicas => replicas;

    public PostgresServer Postgres => postgres;

    public string Database => database;

    /// <summary>A lease short enough that a test sees a takeover in a few seconds.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(1.5);

    public static async Task<TestCluster> StartAsync(int replicas, PostgresServer? server = null)
    {
        var cluster = new TestCluster { postgres = server ?? await PostgresServer.SharedAsync() };
        cluster.database = await cluster.postgres.CreateDatabaseAsync("cluster");
        for (var i = 0; i < replicas; i++)
        {
            await cluster.AddReplicaAsync();
        }

        return cluster;
    }

    public async Task<TestServer> AddReplicaAsync()
    {
        var name = $"replica-{replicas.Count + 1}";
        var replica = new TestServer
        {
            Configure = o => o with
            {
                Store = postgres.Url(database),
                StorePassword = postgres.Password,
                ArtifactsDirectory = artifacts.Path,
                ReplicaName = name,
                LeaderLeaseDuration = LeaseDuration,
            },
        };
        await replica.InitializeAsync();
        replicas.Add(replica);
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }

        await postgres.DropDatabaseAsync(database);
        artifacts.Dispose();
    }
}
