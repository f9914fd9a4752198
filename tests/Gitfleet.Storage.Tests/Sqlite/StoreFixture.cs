using Gitfleet.Storage.Model;
using Gitfleet.Storage.Sql;
using Gitfleet.Storage.Sqlite;
using Gitfleet.TestSupport;

namespace Gitfleet.Storage.Tests.Sqlite;

/// <summary>A real SQLite file in a temp dir per test.</summary>
public sealed class StoreFixture : IAsyncLifetime
{
    private readonly TempDirectory directory = new("gitfleet-store");

    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public SqliteFleetStore Store { get; private set; } = null!;

    public string DatabasePath => directory.Combine("gitfleet.db");

    public async Task InitializeAsync() => Store = await SqliteFleetStore.OpenAsync(DatabasePath, CancellationToken.None);

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        directory.Dispose();
    }

    public async Task<DeviceRecord> AcceptedDeviceAsync(string mac, string? deviceType = "rpi4")
    {
        var identity = new Dictionary<string, string> { ["mac"] = mac };
        var outcome = await Store.RecordAuthRequestAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), identity, "key-" + mac, Now, CancellationToken.None);
        var device = await Store.SetAuthSetStatusAsync(outcome.Device.Id, outcome.AuthSet.Id, "accepted", Now, CancellationToken.None);
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
            Id = Guid.NewGuid().ToString(), DeploymentId = id, DeviceId = d, Status = "pending", CreatedAt = created,
        }).ToList();
        return new NewDeployment(new DeploymentRecord
        {
            Id = id, Name = "deploy " + artifact, ArtifactName = artifact, Kind = kind, Status = "pending", CreatedAt = created,
            DeviceCount = rows.Count, Retries = retries, IdempotencyKey = key, Trace = new DeploymentTrace("main", "abc", null, null),
        }, rows);
    }
}
