using Gitfleet.TestSupport.Postgres;

namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// A test of several replicas on PostgreSQL. It brings its own database, so it runs once, in the suite's SQLite
/// pass, not again when test.sh runs the suite on PostgreSQL; skipped where PostgreSQL is not installed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute()
    {
        if (PostgresServer.Unavailable() is { } reason)
        {
            Skip = reason;
        }
        else if (TestServer.OnPostgres)
        {
            Skip = "cluster tests run once, in the SQLite pass (they bring their own PostgreSQL database)";
        }
    }
}
