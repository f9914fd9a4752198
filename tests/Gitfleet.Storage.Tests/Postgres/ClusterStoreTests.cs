using Gitfleet.Storage.Postgres;
using Gitfleet.Storage.Sql;
using Gitfleet.Storage.Tests.Sqlite;
using Gitfleet.TestSupport.Postgres;

namespace Gitfleet.Storage.Tests.Postgres;

public sealed class ClusterStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Replicas_starting_together_on_an_empty_database_race_the_migrations_safely()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync("race");
        try
        {
            var location = PostgresLocation.Parse(server.Url(database), server.Password);
            var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresFleetStore.OpenAsync(location, None))));
            try
            {
                (await server.ScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations", database))
                    .ShouldBe(SchemaMigrations.All.Count + PostgresMigrations.All.Count);
                foreach (var store in stores)
                {
                    (await store.MigrateAsync(None)).ShouldBe(SchemaMigrations.All.Max(m => m.Version));
                }
            }
            finally
            {
                foreach (var store in stores)
                {
                    await store.DisposeAsync();
                }
            }
        }
        finally
        {
            await server.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task Every_replica_gets_the_same_shared_secret_the_first_one_created()
    {
        var fixture = new StoreFixture(StoreEngine.Postgres);
        await fixture.InitializeAsync();
        try
        {
            var replicas = new[] { (PostgresFleetStore)fixture.Store, await fixture.OpenPostgresAsync(), await fixture.OpenPostgresAsync() };
            var values = await Task.WhenAll(replicas.Select((r, i) => r.GetOrAddSecretAsync("token-signing-key", () => "created-by-" + i, None)));
            values.Distinct().Count().ShouldBe(1);
            (await replicas[0].GetOrAddSecretAsync("token-signing-key", () => "later", None)).ShouldBe(values[0]);
            await replicas[1].DisposeAsync();
            await replicas[2].DisposeAsync();
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_branch_status_the_leader_stores_reads_back_typed_on_another_replica()
    {
        var fixture = new StoreFixture(StoreEngine.Postgres);
        await fixture.InitializeAsync();
        try
        {
            var leader = (PostgresFleetStore)fixture.Store;
            await using var follower = await fixture.OpenPostgresAsync();
            (await follower.GetBranchStatusAsync("main", None)).ShouldBeNull();
            var status = new Gitfleet.Core.Reconcile.BranchStatus
            {
                Branch = "main",
                LastSeenCommit = "abc123",
                AppliedCommit = new Gitfleet.Core.Repository.CommitInfo("abc123", "Ann <ann@example.com>", "Image 2", StoreFixture.Now),
            };
            await leader.SaveBranchStatusAsync(status, None);
            var read = (await follower.GetBranchStatusAsync("main", None)).ShouldNotBeNull();
            (read.Branch, read.LastSeenCommit, read.AppliedCommit).ShouldBe((status.Branch, status.LastSeenCommit, status.AppliedCommit));

            await leader.SaveBranchStatusAsync(status with { LastSeenCommit = "def456" }, None);
            (await follower.GetBranchStatusAsync("main", None))!.LastSeenCommit.ShouldBe("def456", "the newest status replaces the last");
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_store_url_takes_its_password_from_outside_and_never_shows_it()
    {
        var location = PostgresLocation.Parse("postgres://fleet:in-url-secret@db1:5433,db2/gitfleet?sslmode=require&target_session_attrs=read-write", "from-env-secret");
        location.ToString().ShouldBe("postgres://fleet@db1:5433,db2/gitfleet");
        location.ToString().ShouldNotContain("secret");
        location.Database.ShouldBe("gitfleet");
        location.Builder.Password.ShouldBe("from-env-secret");
        PostgresLocation.Parse("postgres://fleet:in-url-secret@db1/gitfleet", null).Builder.Password.ShouldBe("in-url-secret");
        location.Builder.MaxAutoPrepare.ShouldBe(128, "repeated statements are prepared by default");
        PostgresLocation.Parse("postgres://fleet@db1/gitfleet?max_auto_prepare=0", null).Builder.MaxAutoPrepare.ShouldBe(0);
        Should.Throw<FormatException>(() => PostgresLocation.Parse("postgres://fleet@db1/gitfleet?max_auto_prepare=many", null)).Message.ShouldContain("max_auto_prepare");

        Should.Throw<FormatException>(() => PostgresLocation.Parse("postgres://db1", null)).Message.ShouldContain("DATABASE");
        var unknown = Should.Throw<FormatException>(() => PostgresLocation.Parse("postgres://u:p4ss@db1/x?password=p4ss", null));
        unknown.Message.ShouldContain("unknown option 'password'");
        unknown.Message.ShouldNotContain("p4ss");
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_a_message_that_does_not_repeat_it()
    {
        var server = await PostgresServer.SharedAsync();
        var location = PostgresLocation.Parse(server.Url("postgres"), "not-the-password-42");
        var error = await Should.ThrowAsync<Npgsql.PostgresException>(() => PostgresFleetStore.OpenAsync(location, None));
        error.SqlState.ShouldBe("28P01");
        error.ToString().ShouldNotContain("not-the-password-42");
    }
}
