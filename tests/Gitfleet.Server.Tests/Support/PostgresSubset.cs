namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// The server tests that test.sh runs a second time on PostgreSQL (GITFLEET_TEST_STORE=postgres, filtered by
/// <c>Store=postgres</c>): one class per area whose SQL differs by engine or whose memory views follow the store
/// (device admission and tokens, inventory, deployments and their statuses, rollouts and rollout rules through the engine, the
/// dashboard's device search, users and scopes, audit and notification logs). The rest of the suite runs on SQLite
/// only; the engine-agnostic store suite (Gitfleet.Storage.Tests) covers every store method on both engines.
/// Mark a class with <c>[Trait(PostgresSubset.Trait, PostgresSubset.Value)]</c>.
/// </summary>
public static class PostgresSubset
{
    public const string Trait = "Store";

    public const string Value = "postgres";
}
