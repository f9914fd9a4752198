using System.Data.Common;

namespace Gitfleet.Storage.Sql;

/// <summary>
/// The statements the group-commit writer runs for every device (an auth set accepted, an inventory saved), made once
/// per writer connection and kept with their parameters: a command keeps its statements prepared between runs
/// (Microsoft.Data.Sqlite prepares a command's SQL on its first run and only resets it after; Npgsql prepares a
/// statement it sees again on the server), where a new command per write (Dapper's) had SQLite parse and plan the same
/// SQL again every time: seven statements per device of a first-contact storm, on the one thread that bounds its rate.
/// Only the writer's thread uses it, on the writer's connection; it is disposed with that connection.
/// </summary>
internal sealed class WriterStatements(DbConnection connection) : IDisposable
{
    private readonly Dictionary<string, DbCommand> commands = new(StringComparer.Ordinal);

    public DbConnection Connection => connection;

    /// <summary>The kept command of <paramref name="sql"/>, made on first use, joined to <paramref name="transaction"/>.</summary>
    public DbCommand Get(string sql, IReadOnlyList<string> names, DbTransaction transaction)
    {
        if (!commands.TryGetValue(sql, out var command))
        {
            command = Create(connection, sql, names);
            commands.Add(sql, command);
        }

        command.Transaction = transaction;
        return command;
    }

    /// <summary>A command of <paramref name="sql"/> with one parameter per name (<c>@name</c> in the SQL), in that order.</summary>
    public static DbCommand Create(DbConnection connection, string sql, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(names);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in names)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public void Dispose()
    {
        foreach (var command in commands.Values)
        {
            command.Dispose();
        }

        commands.Clear();
    }
}
