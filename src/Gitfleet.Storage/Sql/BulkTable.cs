namespace Gitfleet.Storage.Sql;

/// <summary>
/// Many rows for one table in one go: the columns the rows give (their values in this order) and, for an upsert,
/// the key of the conflict and the columns a row already there takes over (none: the row there stays).
/// A later row with the same key wins over an earlier one, as if the rows were written one by one.
/// </summary>
public sealed record BulkTable(string Table, IReadOnlyList<string> Columns, IReadOnlyList<string>? Key = null, IReadOnlyList<string>? Update = null)
{
    public string ColumnList => string.Join(", ", Columns);

    /// <summary>The <c>ON CONFLICT</c> clause (with its leading space), or empty for a plain insert.</summary>
    public string Conflict => Key is null ? ""
        : Update is { Count: > 0 } ? $" ON CONFLICT ({string.Join(", ", Key)}) DO UPDATE SET {string.Join(", ", Update.Select(c => $"{c} = excluded.{c}"))}"
        : $" ON CONFLICT ({string.Join(", ", Key)}) DO NOTHING";
}
