using Npgsql;

namespace Gitfleet.Storage.Postgres;

/// <summary>
/// Where the PostgreSQL store is: the <c>store</c> setting's <c>postgres://user@host:port/database?option=value</c>
/// URL, and the password, which comes from the environment or a file, never from a log line. <see cref="ToString"/>
/// (used in messages) never shows the password, even when the URL carried one.
/// </summary>
public sealed class PostgresLocation
{
    private static readonly Dictionary<string, string> QueryOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["pool_size"] = "Maximum Pool Size",
        ["target_session_attrs"] = "Target Session Attributes",
        ["max_auto_prepare"] = "Max Auto Prepare",
    };

    private PostgresLocation(NpgsqlConnectionStringBuilder builder, string display)
    {
        Builder = builder;
        Display = display;
    }

    /// <summary>The URL without its password (safe to log).</summary>
    public string Display { get; }

    internal NpgsqlConnectionStringBuilder Builder { get; }

    public string Database => Builder.Database ?? "";

    /// <summary>True for a <c>postgres://</c> or <c>postgresql://</c> URL.</summary>
    public static bool IsPostgresUrl(string? store) =>
        store is not null && (store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Parses the URL. <paramref name="password"/> (from GITFLEET_STORE_PASSWORD or the password file) wins over a
    /// password written in the URL. Hosts may be a comma-separated list (Npgsql tries them in order; with
    /// <c>target_session_attrs=read-write</c> it finds the primary of a Patroni cluster).
    /// </summary>
    public static PostgresLocation Parse(string url, string? password)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!IsPostgresUrl(url))
        {
            throw new FormatException("the store URL must start with postgres://");
        }

        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = "";
        if (rest.IndexOf('?', StringComparison.Ordinal) is var q and >= 0)
        {
            (rest, query) = (rest[..q], rest[(q + 1)..]);
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var database = slash >= 0 ? Uri.UnescapeDataString(rest[(slash + 1)..]) : "";
        var authority = slash >= 0 ? rest[..slash] : rest;
        string? user = null;
        string? urlPassword = null;
        if (authority.LastIndexOf('@') is var at and >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo);
            urlPassword = colon >= 0 ? Uri.UnescapeDataString(userInfo[(colon + 1)..]) : null;
        }

        if (authority.Length == 0 || database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
        {
            throw new FormatException("the store URL needs a host and a database: postgres://USER@HOST[:PORT]/DATABASE");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = authority,
            Database = database,
            Username = user ?? "gitfleet",
            Password = password ?? urlPassword,
            // A server never logs parameter values or the connection string; errors carry no row data.
            IncludeErrorDetail = false,
            LogParameters = false,
            ApplicationName = "gitfleet",
            // Replicas keep their connections warm; a dead primary is noticed within seconds.
            KeepAlive = 10,
            CommandTimeout = 120,
            // Statements a connection runs again and again (a device's auth lookup, its inventory upsert) are
            // prepared on the server after their second use, so PostgreSQL parses and plans them once per connection
            // instead of per call: on the group-commit writer, planning was twice the execution of the auth lookup.
            // The SQL names its columns (no SELECT *), so a migration that adds a column does not break a plan an
            // older replica holds during a rolling upgrade.
            MaxAutoPrepare = 128,
            AutoPrepareMinUsages = 2,
        };
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = eq >= 0 ? pair[..eq] : pair;
            var value = eq >= 0 ? Uri.UnescapeDataString(pair[(eq + 1)..]) : "";
            if (!QueryOptions.TryGetValue(name, out var keyword))
            {
                throw new FormatException($"the store URL has an unknown option '{name}'; known: {string.Join(", ", QueryOptions.Keys)}");
            }

            try
            {
                builder[keyword] = value;
            }
            catch (ArgumentException)
            {
                throw new FormatException($"the store URL option {name}: '{value}' is not valid");
            }
        }

        var display = $"postgres://{Uri.EscapeDataString(builder.Username!)}@{authority}/{Uri.EscapeDataString(database)}";
        return new PostgresLocation(builder, display);
    }

    /// <summary>The connection string for Npgsql (holds the password: never log it).</summary>
    internal string ConnectionString(Action<NpgsqlConnectionStringBuilder>? adjust = null)
    {
        var copy = new NpgsqlConnectionStringBuilder(Builder.ConnectionString);
        adjust?.Invoke(copy);
        return copy.ConnectionString;
    }

    public override string ToString() => Display;
}
