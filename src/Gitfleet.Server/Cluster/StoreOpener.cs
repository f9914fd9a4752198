using Gitfleet.Server.Hosting;
using Gitfleet.Storage;
using Gitfleet.Storage.Postgres;
using Gitfleet.Storage.Sqlite;
using Npgsql;

namespace Gitfleet.Server.Cluster;

/// <summary>Opens the store the settings name: SQLite in the data dir (the default), or a shared PostgreSQL database.</summary>
internal static class StoreOpener
{
    public static async Task<Gitfleet.Storage.Sql.SqlFleetStore> OpenAsync(ServerOptions options, DataDirectory data, CancellationToken cancellationToken)
    {
        if (options.Store is not { } url)
        {
            return await SqliteFleetStore.OpenAsync(data.DatabasePath, cancellationToken).ConfigureAwait(false);
        }

        var location = PostgresLocation.Parse(url, options.StorePassword);
        try
        {
            return await PostgresFleetStore.OpenAsync(location, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            // The location's text never holds the password; Npgsql's messages do not either.
            throw new InvalidOperationException($"cannot open the store {location}: {e.Message}", e);
        }
    }
}
