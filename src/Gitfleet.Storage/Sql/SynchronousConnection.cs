using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// A connection whose asynchronous calls run synchronously: its commands and readers leave the asynchronous members
/// to <see cref="DbCommand"/>'s and <see cref="DbDataReader"/>'s base implementations, which call the synchronous
/// ones and return a completed task. The group-commit writer runs on its own thread and hands its connection to
/// the shared SQL, which is written with async calls (Dapper's <c>ExecuteAsync</c> …): through this connection
/// that SQL does blocking socket I/O on the writer's thread. An Npgsql async call instead resumes on a thread-pool
/// thread after every round trip, and during a storm each resumption waited behind the requests queued there
/// (PostgreSQL showed the writer's backend idle in transaction, waiting for the next statement).
/// The command's <see cref="DbCommand.Connection"/> is the provider's own connection, so Dapper still recognises
/// the engine (PostgreSQL array parameters); transactions are the provider's own.
/// </summary>
internal sealed class SynchronousConnection(DbConnection inner) : DbConnection
{
    public DbConnection Inner => inner;

    /// <summary>The provider's own connection, for calls the wrapper does not pass on (COPY, batches).</summary>
    public static DbConnection Unwrap(DbConnection connection) => connection is SynchronousConnection synchronous ? synchronous.Inner : connection;

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => inner.ConnectionString = value;
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    public override ConnectionState State => inner.State;

    public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

    public override void Close() => inner.Close();

    public override void Open() => inner.Open();

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

    protected override DbCommand CreateDbCommand() => new SynchronousCommand(inner.CreateCommand());

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
