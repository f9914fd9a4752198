namespace Gitfleet.Server.Tests.Support;

/// <summary>
/// A test that reaches into the SQLite file itself (to plant rows an older version stored): it runs in the suite's
/// SQLite pass and is skipped, with the reason, when test.sh runs the suite on PostgreSQL.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SqliteFactAttribute : FactAttribute
{
    public SqliteFactAttribute()
    {
        if (TestServer.OnPostgres)
        {
            Skip = "edits the SQLite file directly; runs in the SQLite pass";
        }
    }
}
