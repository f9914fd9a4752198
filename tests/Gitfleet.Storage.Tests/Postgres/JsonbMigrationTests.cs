using Gitfleet.Storage.Tests.Sqlite;
using Gitfleet.TestSupport.Postgres;

namespace Gitfleet.Storage.Tests.Postgres;

/// <summary>Migration 1002: the stored maps become jsonb, rows written as text before it are converted in place.</summary>
public sealed class JsonbMigrationTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static readonly (string Table, string Column)[] Maps =
    [
        ("devices", "identity_json"), ("attributes", "value_json"), ("configurations", "configured_json"),
        ("configurations", "reported_json"), ("deployments", "configuration_json"), ("artifacts", "metadata_json"),
    ];

    [Fact]
    public async Task Maps_written_as_text_before_the_migration_are_jsonb_after_it_and_read_back_unchanged()
    {
        var fixture = new StoreFixture(StoreEngine.Postgres);
        await fixture.InitializeAsync();
        try
        {
            var device = await fixture.AcceptedDeviceAsync("02:00:00:00:00:01");
            await fixture.Store.SaveInventoryAsync(device.Id, [new("ports", ["eth0", "wlan0"]), new("location", ["Zürich"])], replace: false, StoreFixture.Now, None);
            await fixture.Store.SetReportedAsync(device.Id, new Dictionary<string, string> { ["b"] = "2", ["a"] = "ü" }, StoreFixture.Now, None);
            var server = fixture.Postgres;
            foreach (var (table, column) in Maps)
            {
                (await server.ScalarAsync<string>($"SELECT data_type FROM information_schema.columns WHERE table_name = '{table}' AND column_name = '{column}'", fixture.DatabaseName))
                    .ShouldBe("jsonb", $"{table}.{column}");
            }

            // Back to the schema before 1002, with text as the shared SQL wrote it (escaped non-ASCII, no spaces).
            await fixture.Store.DisposeAsync();
            await server.ExecuteAsync(
                string.Join(";", Maps.Select(m => $"ALTER TABLE {m.Table} ALTER COLUMN {m.Column} TYPE text")) + ";" +
                """
                UPDATE attributes SET value_json = '"Z\u00FCrich"' WHERE name = 'location';
                UPDATE configurations SET reported_json = '{"a":"\u00FC","b":"2"}';
                DELETE FROM schema_migrations WHERE version = 1002;
                """, fixture.DatabaseName);

            var reopened = await fixture.OpenPostgresAsync();
            await using (reopened)
            {
                (await server.ScalarAsync<string>("SELECT pg_typeof(value_json)::text FROM attributes LIMIT 1", fixture.DatabaseName)).ShouldBe("jsonb");
                (await server.ScalarAsync<string>("SELECT value_json #>> '{}' FROM attributes WHERE name = 'location'", fixture.DatabaseName)).ShouldBe("Zürich");
                var attributes = await reopened.GetAttributesAsync([device.Id], None);
                attributes.Single(a => a.Name == "location").Values.ShouldBe(["Zürich"]);
                attributes.Single(a => a.Name == "ports").Values.ShouldBe(["eth0", "wlan0"]);
                (await reopened.GetConfigurationAsync(device.Id, None))!.Reported.ShouldBe(new Dictionary<string, string> { ["a"] = "ü", ["b"] = "2" }, ignoreOrder: true);
                (await reopened.GetDeviceAsync(device.Id, None))!.Identity["mac"].ShouldBe("02:00:00:00:00:01");
            }
        }
        finally
        {
            await fixture.Postgres.DropDatabaseAsync(fixture.DatabaseName);
        }
    }
}
