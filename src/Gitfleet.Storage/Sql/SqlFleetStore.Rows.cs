using System.Data.Common;

namespace Gitfleet.Storage.Sql;

public abstract partial class SqlFleetStore
{
    /// <summary>One row of a bulk read; valid only during the callback that receives it.</summary>
    private protected interface IRow
    {
        bool IsNull(int ordinal);

        long GetInt64(int ordinal);

        string GetString(int ordinal);

        /// <summary>The text as one instance per distinct value in <paramref name="pool"/>.</summary>
        string GetPooled(int ordinal, StringPool pool);

        /// <summary>Whether the text is <paramref name="text"/> (compared without making a string where the engine can).</summary>
        bool Is(int ordinal, string text);

        /// <summary>The pooled instance of the text, or null when <paramref name="pool"/> does not hold it (nothing is added).</summary>
        string? GetKnown(int ordinal, StringPool pool);

        /// <summary>An attribute value (JSON text) as its flat text (see <see cref="JsonMaps.AttributeText"/>), pooled.</summary>
        string GetPooledAttribute(int ordinal, StringPool pool);
    }

    /// <summary>
    /// Runs a query and hands every row to <paramref name="onRow"/>: the bulk reads of the facts and of the observed
    /// state (hundreds of thousands of rows). An engine may read rows without the ADO.NET per-value costs.
    /// </summary>
    private protected virtual async Task ReadAllAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, Action<IRow> onRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onRow);
        var row = new DataReaderRow();
        await foreach (var reader in ReadRowsAsync(sql, parameters, cancellationToken).ConfigureAwait(false))
        {
            row.Reader = reader;
            onRow(row);
        }
    }

    /// <summary>
    /// A point read that every device request may make (the same few SQL texts, again and again): an engine may
    /// keep its statement prepared. The SQL must be one of a fixed set of texts, never built per call.
    /// </summary>
    private protected virtual Task ReadPreparedAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, Action<IRow> onRow, CancellationToken cancellationToken) =>
        ReadAllAsync(sql, parameters, onRow, cancellationToken);

    private sealed class DataReaderRow : IRow
    {
        public DbDataReader Reader { get; set; } = null!;

        public bool IsNull(int ordinal) => Reader.IsDBNull(ordinal);

        public long GetInt64(int ordinal) => Reader.GetInt64(ordinal);

        public string GetString(int ordinal) => Reader.GetString(ordinal);

        public string GetPooled(int ordinal, StringPool pool) => pool.Intern(Reader.GetString(ordinal));

        public string? GetKnown(int ordinal, StringPool pool) => pool.Find(Reader.GetString(ordinal));

        public bool Is(int ordinal, string text) => Reader.GetString(ordinal) == text;

        public string GetPooledAttribute(int ordinal, StringPool pool) => pool.Intern(JsonMaps.AttributeText(Reader.GetString(ordinal)));
    }
}
